/**
 * `slipway notifications status [--project P]`: per sink, delivered / pending / failed, since
 * when it fails, its last error and the next retry. `slipway notifications test SINK --project P`
 * (admin): sends a test message now and says how it went (exit 1 when it was not delivered).
 */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import { color } from '../output.js';
import { table } from '../table.js';

/** GET /api/v1/notifications */
export interface ApiSinkStatus {
  project: string;
  sink: string;
  kind: string;
  on: string[];
  stages: string[] | null;
  delivered: number;
  pending: number;
  failed: number;
  failingSince: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  nextRetry: number | null;
  attempts: number;
  lastDeliveredAt: number | null;
}

const at = (ms: number | null): string => (ms === null ? color.dim('-') : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`);

export function sinkState(s: ApiSinkStatus): string {
  if (s.failingSince !== null) return color.red('failing');
  if (s.pending > 0) return color.yellow('sending');
  return s.failed > 0 ? color.yellow('ok, some failed') : color.green('ok');
}

export function registerNotifications(program: Command): void {
  const n = program.command('notifications').description('notification sinks (slipway.yaml spec.notifications): delivery status and test messages');
  serverCommand(n, 'status', 'per sink: delivered, pending, failed, failing since, last error, next retry')
    .option('--project <name>', 'only this project')
    .action(
      act<{ project?: string }>(async (ctx, _args, opts) => {
        const q = opts.project ? `?project=${encodeURIComponent(opts.project)}` : '';
        const { sinks } = await ctx.client.request<{ sinks: ApiSinkStatus[] }>('GET', `/api/v1/notifications${q}`);
        if (ctx.json) return ctx.emit({ sinks });
        if (sinks.length === 0) return ctx.print(color.dim('no notification sinks: add spec.notifications to a slipway.yaml (docs/notifications.md)'));
        const rows = sinks.map((s) => [s.project, s.sink, s.kind, sinkState(s), String(s.delivered), String(s.pending), String(s.failed), at(s.failingSince), at(s.nextRetry)]);
        ctx.print(table(['PROJECT', 'SINK', 'KIND', 'STATE', 'DELIVERED', 'PENDING', 'FAILED', 'FAILING SINCE', 'NEXT RETRY'], rows));
        for (const s of sinks) {
          if (s.lastError !== null) ctx.print(`${s.project}/${s.sink}: last error ${at(s.lastErrorAt)}: ${s.lastError}${s.attempts > 0 ? ` (${s.attempts} tries so far)` : ''}`);
        }
      }),
    );
  serverCommand(n, 'test', 'send a test message to one sink now and say how it went (admin)')
    .argument('<sink>', "the sink's name in spec.notifications")
    .requiredOption('--project <name>', 'project')
    .action(
      act<{ project: string }>(async (ctx, [sink], opts) => {
        const path = `/api/v1/projects/${encodeURIComponent(opts.project)}/notifications/${encodeURIComponent(sink!)}/test`;
        const r = await ctx.client.request<{ ok: boolean; reason: string; deliveryId: string }>('POST', path, { body: {} });
        if (ctx.json) ctx.emit(r);
        else if (r.ok) ctx.print(`${color.green('delivered')} test message to ${opts.project}/${sink} (${r.reason}, delivery ${r.deliveryId})`);
        else ctx.print(`${color.red('not delivered')}: test message to ${opts.project}/${sink}: ${r.reason}`);
        return r.ok ? 0 : 1;
      }),
    );
}
