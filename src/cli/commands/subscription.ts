/** `slipway subscription create|list|delete`: push subscriptions of outside executors (admin). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { act, serverCommand } from '../context.js';
import { ago, table } from '../table.js';

interface ApiSubscription {
  id: string;
  kind: string;
  url: string;
  secret?: string;
  dialect: 'slipway' | 'keptn';
  token?: string;
  createdAt?: number;
}

function dialect(value: string): 'slipway' | 'keptn' {
  if (value !== 'slipway' && value !== 'keptn') throw new InvalidArgumentError(`'${value}' is not a dialect; use slipway or keptn`);
  return value;
}

export function registerSubscription(program: Command): void {
  const sub = program.command('subscription').description('push tasks of a kind to a URL (needs an admin token)');
  serverCommand(sub, 'create', 'push tasks of a kind to a URL; the signing secret is shown once')
    .requiredOption('--kind <kind>', 'the task kind the receiver serves')
    .requiredOption('--url <url>', 'where deliveries are POSTed (http:// or https://)')
    .option('--secret <secret>', 'the signing secret (default: a new random one)')
    .option('--dialect <dialect>', "slipway (Slipway's event with the claim) or keptn (Keptn's .triggered event; the receiver answers on Keptn's API)", dialect, 'slipway')
    .option('--token <name>', 'with --dialect keptn: the token the receiver answers with (scope execute:<kind>)')
    .action(
      act<{ kind: string; url: string; secret?: string; dialect: 'slipway' | 'keptn'; token?: string }>(async (ctx, _args, o) => {
        const body = { kind: o.kind, url: o.url, dialect: o.dialect, ...(o.secret !== undefined ? { secret: o.secret } : {}), ...(o.token !== undefined ? { token: o.token } : {}) };
        const s = await ctx.client.request<ApiSubscription>('POST', '/api/v1/subscriptions', { body });
        if (ctx.json) return ctx.emit(s);
        const answers = s.dialect === 'keptn' ? `; its receiver answers on POST /api/v1/event with token '${s.token ?? ''}'` : '';
        ctx.print(`subscription ${s.id}: ${s.kind} tasks → ${s.url} (${s.dialect} dialect${answers}). Signing secret, shown once:`);
        ctx.print(s.secret ?? '');
      }),
    );
  serverCommand(sub, 'list', 'list push subscriptions (never their secrets)').action(
    act(async (ctx) => {
      const r = await ctx.client.request<{ subscriptions: ApiSubscription[] }>('GET', '/api/v1/subscriptions');
      if (ctx.json) return ctx.emit(r);
      ctx.print(table(['ID', 'KIND', 'URL', 'DIALECT', 'TOKEN', 'CREATED'], r.subscriptions.map((s) => [s.id, s.kind, s.url, s.dialect, s.token ?? '-', s.createdAt !== undefined ? ago(s.createdAt) : '-'])));
    }),
  );
  serverCommand(sub, 'delete', 'delete a push subscription')
    .argument('<id>', 'subscription id')
    .action(
      act(async (ctx, [id]) => {
        await ctx.client.request('DELETE', `/api/v1/subscriptions/${encodeURIComponent(id!)}`);
        if (ctx.json) ctx.emit({ id, deleted: true });
        else ctx.print(`deleted ${id}`);
      }),
    );
}
