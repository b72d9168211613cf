/**
 * `slipway pr list|open|close|keep`: pull-request environments. `list` shows each with its
 * URLs and when an idle one expires; `open N` deploys a pull request's artifacts to pr-<N>
 * (again for a new head: that is an update), `close N` tears it down, `keep N` pins it
 * against the TTL (`--no-keep` lets the TTL run again). Works without a forge.
 */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import type { CommandContext } from '../context.js';
import { color } from '../output.js';
import { artifactPairs, collect } from '../pairs.js';
import { table } from '../table.js';

/** GET /api/v1/projects/{project}/pull-requests, one entry. */
export interface ApiPullRequest {
  project: string;
  number: number;
  stage: string;
  state: 'open' | 'closed';
  commit: string;
  branch: string;
  urls: Record<string, string>;
  title?: string;
  expiresAt?: number;
  kept: boolean;
  runId?: string;
  runState?: string;
  closedBecause?: string;
}

const path = (project: string, rest = '') => `/api/v1/projects/${encodeURIComponent(project)}/pull-requests${rest}`;

function expiry(p: ApiPullRequest): string {
  if (p.state === 'closed') return color.dim(p.closedBecause ?? 'closed');
  if (p.kept) return color.green('kept');
  return p.expiresAt === undefined ? color.dim('-') : `${new Date(p.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function line(p: ApiPullRequest): string {
  const urls = Object.entries(p.urls).map(([s, u]) => `${s} ${u}`).join(', ');
  return `pull request ${p.number} of ${p.project}: ${p.stage} ${p.state}${urls ? ` at ${urls}` : ''}; ${p.kept ? 'kept' : p.expiresAt !== undefined ? `expires ${new Date(p.expiresAt).toISOString()}` : p.closedBecause ?? ''}`;
}

async function projects(ctx: CommandContext, one?: string): Promise<string[]> {
  return one ? [one] : (await ctx.client.request<{ projects: { name: string; pullRequests?: unknown }[] }>('GET', '/api/v1/projects')).projects.map((p) => p.name);
}

export function registerPr(program: Command): void {
  const pr = program.command('pr').description('per-pull-request environments: pr-<number>, made from the pipeline\'s pullRequests.template');
  serverCommand(pr, 'list', 'pull-request environments with their URLs and expiry')
    .option('--project <name>', 'project (default: every project with pull-request environments)')
    .option('--all', 'include environments already torn down')
    .action(
      act<{ project?: string; all?: boolean }>(async (ctx, _args, opts) => {
        const all: ApiPullRequest[] = [];
        for (const p of await projects(ctx, opts.project)) {
          const got = await ctx.client.request<{ pullRequests: ApiPullRequest[] }>('GET', path(p)).catch((e: unknown) => {
            if (opts.project) throw e;
            return { pullRequests: [] };
          });
          all.push(...got.pullRequests.filter((x) => opts.all || x.state === 'open'));
        }
        if (ctx.json) return ctx.emit({ pullRequests: all });
        if (all.length === 0) return ctx.print(color.dim('no pull-request environments'));
        const rows = all.map((p) => [p.project, String(p.number), p.state, p.commit.slice(0, 12), Object.values(p.urls).join(' ') || color.dim('-'), expiry(p), p.runState ?? color.dim('-')]);
        ctx.print(table(['PROJECT', 'PR', 'STATE', 'COMMIT', 'URL', 'EXPIRES', 'RUN'], rows));
      }),
    );
  serverCommand(pr, 'open', "deploy a pull request's artifacts to pr-<number> (again for a new head commit); renews its TTL")
    .argument('<number>', 'pull request number')
    .requiredOption('--project <name>', 'project')
    .requiredOption('--commit <sha>', 'head commit of the pull request')
    .option('--branch <name>', 'head branch')
    .option('--title <text>', 'title shown in the list')
    .option('--service <name>', 'service of the next --artifact (repeatable, in pairs)', collect, [])
    .option('--artifact <ref>', 'artifact of the preceding --service (repeatable, in pairs)', collect, [])
    .action(
      act<{ project: string; commit: string; branch?: string; title?: string; service: string[]; artifact: string[] }>(async (ctx, [n], opts) => {
        const body = { number: Number(n), action: 'opened', commit: opts.commit, artifacts: artifactPairs(opts.service, opts.artifact), ...(opts.branch ? { branch: opts.branch } : {}), ...(opts.title ? { title: opts.title } : {}) };
        const r = await ctx.client.request<{ stage: string; runId?: string; pullRequest: ApiPullRequest }>('POST', path(opts.project), { body });
        if (ctx.json) return ctx.emit(r);
        ctx.print(`${r.stage}: deploying ${opts.commit.slice(0, 12)}${r.runId ? ` as run ${r.runId}` : ''}; ${line(r.pullRequest)}`);
      }),
    );
  serverCommand(pr, 'close', 'tear down the environment of a pull request now (every process and route)')
    .argument('<number>', 'pull request number')
    .requiredOption('--project <name>', 'project')
    .action(
      act<{ project: string }>(async (ctx, [n], opts) => {
        const r = await ctx.client.request<ApiPullRequest>('DELETE', path(opts.project, `/${encodeURIComponent(n!)}`));
        if (ctx.json) return ctx.emit(r);
        ctx.print(line(r));
      }),
    );
  serverCommand(pr, 'keep', 'pin the environment of a pull request so the idle TTL does not remove it')
    .argument('<number>', 'pull request number')
    .requiredOption('--project <name>', 'project')
    .option('--no-keep', 'unpin: the TTL runs again from now')
    .action(
      act<{ project: string; keep: boolean }>(async (ctx, [n], opts) => {
        const r = await ctx.client.request<ApiPullRequest>('POST', path(opts.project, `/${encodeURIComponent(n!)}/keep`), { body: { keep: opts.keep } });
        if (ctx.json) return ctx.emit(r);
        ctx.print(line(r));
      }),
    );
}
