/**
 * `slipway hooks …`: webhooks and the git watcher from the command line.
 * - `deliveries --project P`: recent deliveries (webhooks and watcher finds) and their fate
 * - `send --project P --artifact svc=ref --commit SHA`: the generic artifact webhook, signed
 *   here with the secret from an environment variable, for CI systems that cannot sign
 * - `watcher --project P`: the git watcher's state; `poll --project P`: poll now
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { SlipwayError } from '../../core/index.js';
import { act, serverCommand } from '../context.js';
import { color } from '../output.js';
import { collect } from '../pairs.js';
import { ago, table } from '../table.js';

interface Delivery {
  source: string;
  id: string;
  event: string;
  receivedAt: number;
  outcome: string;
  status: number;
  message?: string;
  releaseId?: string;
  runId?: string;
}

interface WatchStatus {
  project: string;
  url: string;
  intervalMs: number;
  state: string;
  lastPollAt: number | null;
  nextPollAt: number | null;
  failures: number;
  lastError: string | null;
  primedAt: number | null;
  refs: number;
  releases: number;
}

const OUTCOME: Record<string, (s: string) => string> = { released: color.green, forwarded: color.green, ignored: color.dim, rejected: color.red, received: color.yellow };

export function registerHooks(program: Command): void {
  const hooks = program.command('hooks').description('webhooks that make releases, and the git watcher (docs/triggers.md)');

  serverCommand(hooks, 'deliveries', 'recent webhook deliveries and watcher finds of a project, newest first, with what became of each')
    .requiredOption('--project <name>', 'project')
    .option('--source <source>', 'artifact, github, gitlab or watcher')
    .option('--limit <n>', 'how many (default 20)', '20')
    .action(
      act<{ project: string; source?: string; limit: string }>(async (ctx, _args, opts) => {
        const r = await ctx.client.request<{ deliveries: Delivery[] }>('GET', `/api/v1/projects/${encodeURIComponent(opts.project)}/hooks/deliveries`, { query: { limit: opts.limit, source: opts.source } });
        if (ctx.json) return ctx.emit(r);
        if (r.deliveries.length === 0) return ctx.print(color.dim(`no deliveries for project ${opts.project} yet`));
        const rows = r.deliveries.map((d) => [ago(d.receivedAt), d.source, d.event, d.id, (OUTCOME[d.outcome] ?? String)(`${d.outcome} ${d.status}`), d.releaseId ?? '-', d.runId ?? '-']);
        ctx.print(table(['WHEN', 'SOURCE', 'EVENT', 'DELIVERY', 'OUTCOME', 'RELEASE', 'RUN'], rows));
        for (const d of r.deliveries.filter((x) => x.outcome === 'rejected').slice(0, 3)) ctx.print(color.dim(`${d.id}: ${d.message ?? ''}`));
      }),
    );

  serverCommand(hooks, 'send', "send the generic artifact webhook, signed with the project's webhook secret from an environment variable")
    .requiredOption('--project <name>', 'project')
    .option('--artifact <service=ref>', 'an artifact of the release (repeatable)', collect, [])
    .requiredOption('--commit <sha>', 'the commit the artifacts were built from')
    .option('--commit-time <time>', "RFC 3339 or UTC ms (default: the commit's time from git in this directory)")
    .option('--first-commit-time <time>', 'the oldest commit of the change (RFC 3339 or UTC ms)')
    .option('--author <name>', 'who made the change')
    .option('--delivery <id>', 'delivery id (default: a new UUID); send the same id again to repeat a delivery safely')
    .option('--secret-env <name>', 'environment variable holding the webhook secret', 'SLIPWAY_WEBHOOK_SECRET')
    .action(
      act<{ project: string; artifact: string[]; commit: string; commitTime?: string; firstCommitTime?: string; author?: string; delivery?: string; secretEnv: string }>(async (ctx, _args, opts) => {
        const secret = process.env[opts.secretEnv];
        if (!secret) throw new SlipwayError('INVALID_INPUT', `the webhook secret is not in $${opts.secretEnv}: export it (the value of the secret spec.webhook names), or name another variable with --secret-env`, { field: 'secret-env' });
        const body = JSON.stringify({
          artifacts: artifactsOf(opts.artifact),
          commit: opts.commit,
          commitTime: timeOf(opts.commitTime ?? gitCommitTime(opts.commit)),
          ...(opts.firstCommitTime !== undefined ? { firstCommitTime: timeOf(opts.firstCommitTime) } : {}),
          ...(opts.author !== undefined ? { author: opts.author } : {}),
        });
        const ts = String(Math.floor(Date.now() / 1000));
        // The signature docs/triggers.md describes: HMAC-SHA256 of "<timestamp>.<raw body>".
        const signature = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
        const delivery = opts.delivery ?? randomUUID();
        let res: Response;
        try {
          res = await fetch(ctx.client.url(`/api/v1/hooks/${encodeURIComponent(opts.project)}/artifact`), {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-slipway-timestamp': ts, 'x-slipway-delivery': delivery, 'x-slipway-signature': signature },
            body,
          });
        } catch (e) {
          throw new SlipwayError('INVALID_INPUT', `cannot reach the Slipway server at ${ctx.client.config.server} (${(e as Error).message})`);
        }
        const answer = (await res.json()) as { code?: string; message?: string; releaseId?: string; runId?: string; duplicate?: boolean; field?: string };
        if (!res.ok) throw new SlipwayError('INVALID_INPUT', `the server refused the webhook (${res.status} ${answer.code ?? ''}): ${answer.message ?? ''}`, { status: res.status });
        if (ctx.json) return ctx.emit({ delivery, status: res.status, ...answer });
        ctx.print(`${answer.duplicate ? 'delivered before' : 'delivered'}: ${delivery} → release ${answer.releaseId ?? '-'}, run ${answer.runId ?? '-'}`);
      }),
    );

  serverCommand(hooks, 'watcher', "the git watcher's state for a project: last poll, next poll, errors and back-off")
    .requiredOption('--project <name>', 'project')
    .action(
      act<{ project: string }>(async (ctx, _args, opts) => {
        const r = await ctx.client.request<{ watch: WatchStatus | null }>('GET', `/api/v1/projects/${encodeURIComponent(opts.project)}/watch`);
        if (ctx.json) return ctx.emit(r);
        if (!r.watch) return ctx.print(color.dim(`project ${opts.project} is not watched (spec.repository.watch is not set)`));
        printWatch(ctx.print, r.watch);
      }),
    );

  serverCommand(hooks, 'poll', "poll a watched project's repository now")
    .requiredOption('--project <name>', 'project')
    .action(
      act<{ project: string }>(async (ctx, _args, opts) => {
        const r = await ctx.client.request<{ watch: WatchStatus; released: { ref: string; commit: string; releaseId?: string; runId?: string; message: string }[] }>('POST', `/api/v1/projects/${encodeURIComponent(opts.project)}/watch/poll`);
        if (ctx.json) return ctx.emit(r);
        for (const f of r.released) ctx.print(`${f.ref} @ ${f.commit.slice(0, 7)}: ${f.message}`);
        if (r.released.length === 0) ctx.print(color.dim('nothing new'));
        printWatch(ctx.print, r.watch);
      }),
    );
}

function printWatch(print: (line: string) => void, w: WatchStatus): void {
  const state = w.state === 'ok' ? color.green(w.state) : w.state === 'priming' ? color.yellow(w.state) : color.red(w.state);
  print(`${w.project}: ${state}, ${w.url} every ${Math.round(w.intervalMs / 1000)}s; ${w.refs} refs followed, ${w.releases} releases since start`);
  print(`last poll ${ago(w.lastPollAt)}, next ${w.nextPollAt === null ? '-' : new Date(w.nextPollAt).toISOString()}${w.primedAt ? `; primed ${new Date(w.primedAt).toISOString()}` : ''}`);
  if (w.failures > 0) print(color.red(`${w.failures} failed poll(s) in a row, backing off: ${w.lastError ?? ''}`));
}

function artifactsOf(pairs: string[]): Record<string, string> {
  if (pairs.length === 0) throw new SlipwayError('INVALID_INPUT', 'give at least one --artifact SERVICE=REF', { field: 'artifact' });
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new SlipwayError('INVALID_INPUT', `--artifact ${JSON.stringify(p)} is not SERVICE=REF (e.g. backend=registry.example/backend:1.4.2)`, { field: 'artifact' });
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function timeOf(t: string): number | string {
  return /^\d+$/.test(t) ? Number(t) : t;
}

/** The committer time of `sha` in the git repository of the current directory, as UTC ms. */
function gitCommitTime(sha: string): string {
  try {
    return String(Number(execFileSync('git', ['show', '-s', '--format=%ct', sha], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) * 1000);
  } catch {
    throw new SlipwayError('INVALID_INPUT', `no --commit-time, and git in this directory does not know commit ${sha}; give --commit-time (RFC 3339 or UTC ms)`, { field: 'commit-time' });
  }
}
