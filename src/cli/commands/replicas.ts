/**
 * `slipway replicas`: the replica that answered, its role, and the active replica (the engine
 * lease holder: its id, URL, epoch and lease expiry). Through a load balancer, which replica
 * answers depends on the balancer; ask a replica's own URL with --server to see it.
 */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';

interface ReplicaStatus {
  replica: { id: string; role: string; url: string | null };
  active: { id: string; url: string | null; epoch: number; expiresAt: string | null; acquiredAt: string | null } | null;
  leaseMs: number | null;
  store: string;
}

export function registerReplicas(program: Command): void {
  serverCommand(program, 'replicas', 'the replica that answered (active or standby) and the active replica holding the engine lease')
    .action(
      act(async (ctx) => {
        const r = await ctx.client.request<ReplicaStatus>('GET', '/api/v1/system/replicas');
        if (ctx.json) return ctx.emit(r);
        ctx.print(`answered by: ${r.replica.id} (${r.replica.role}${r.replica.url ? `, ${r.replica.url}` : ''})`);
        if (r.store === 'sqlite') return ctx.print('store: SQLite, a single server (always active)');
        if (!r.active) return ctx.print(`active:      none right now; a standby takes the engine lease within ${r.leaseMs ?? '?'} ms`);
        ctx.print(`active:      ${r.active.id} at ${r.active.url ?? '-'}, epoch ${r.active.epoch}, lease until ${r.active.expiresAt ?? '-'} (lease time ${r.leaseMs ?? '?'} ms)`);
      }),
    );
}
