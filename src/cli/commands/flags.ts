/**
 * `slipway flags [--project P]`: each feature flag's rollout per stage (which variant, to what
 * share, set by which release or person). `slipway flags set FLAG --stage S --variant V
 * --percent P` sets one by hand: an audited action (scope trigger), recorded for the release
 * the stage serves, so a rollback past it restores the rollout it replaced.
 */
import type { Command } from 'commander';
import { SlipwayError } from '../../core/index.js';
import { act, serverCommand } from '../context.js';
import type { CommandContext } from '../context.js';
import { color } from '../output.js';
import { ago, table } from '../table.js';

/** GET /api/v1/projects/{project}/flags */
export interface ApiFlags {
  project: string;
  flags: {
    flag: string;
    default: string;
    variants: Record<string, unknown>;
    stages: { stage: string; set: boolean; variant: string; percent: number; rules?: unknown[]; releaseId?: string; runId?: string; by?: string; at?: number }[];
  }[];
}

async function projectsOf(ctx: CommandContext, project: string | undefined): Promise<string[]> {
  if (project) return [project];
  return (await ctx.client.request<{ projects: { name: string }[] }>('GET', '/api/v1/projects')).projects.map((p) => p.name);
}

function rolloutText(f: ApiFlags['flags'][number], s: ApiFlags['flags'][number]['stages'][number]): string {
  const rules = s.rules?.length ? color.dim(` +${s.rules.length} rule${s.rules.length === 1 ? '' : 's'}`) : '';
  if (s.percent === 0 || s.variant === f.default) return `${f.default} ${color.dim('(default)')}${rules}`;
  if (s.percent >= 100) return `${color.green(s.variant)} 100%${rules}`;
  return `${color.yellow(s.variant)} ${s.percent}% ${color.dim(`(else ${f.default})`)}${rules}`;
}

export function registerFlags(program: Command): void {
  const flags = serverCommand(program, 'flags', "feature flags: each flag's rollout per stage; `flags set` changes one by hand")
    .option('--project <name>', 'project (default: every project with flags)')
    .action(
      act<{ project?: string }>(async (ctx, _args, opts) => {
        const all = await Promise.all((await projectsOf(ctx, opts.project)).map((p) => ctx.client.request<ApiFlags>('GET', `/api/v1/projects/${encodeURIComponent(p)}/flags`)));
        const withFlags = all.filter((a) => a.flags.length > 0 || opts.project);
        if (ctx.json) return ctx.emit(opts.project ? withFlags[0] : { projects: withFlags });
        const rows = withFlags.flatMap((a) =>
          a.flags.flatMap((f) => f.stages.map((s) => [a.project, f.flag, s.stage, rolloutText(f, s), s.releaseId ?? color.dim('-'), s.set && s.at !== undefined ? `${ago(s.at)}${s.by ? ` by ${s.by}` : ''}` : color.dim('never set')])),
        );
        if (rows.length === 0) return ctx.print(color.dim('no project declares flags (spec.flags in slipway.yaml)'));
        ctx.print(table(['PROJECT', 'FLAG', 'STAGE', 'SERVES', 'RELEASE', 'CHANGED'], rows));
      }),
    );
  serverCommand(flags, 'set', "set a flag's rollout in a stage by hand (scope trigger; audited)")
    .argument('<flag>', 'flag key (spec.flags)')
    .requiredOption('--stage <name>', 'stage whose rollout changes')
    .requiredOption('--variant <name>', 'variant to roll out')
    .requiredOption('--percent <n>', 'share of users who get it, 0-100 (the rest get the default)')
    .option('--project <name>', 'project (default: the only project that declares the flag)')
    .option('--reason <text>', 'why (recorded in the event and the audit log)')
    .action(
      act<{ stage: string; variant: string; percent: string; project?: string; reason?: string }>(async (ctx, [flag], o) => {
        const percent = Number(o.percent);
        if (o.percent.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent > 100) throw new SlipwayError('INVALID_INPUT', `--percent must be a number from 0 to 100, got '${o.percent}'`, { field: 'percent' });
        const project = o.project ?? (await onlyProjectWith(ctx, flag!));
        const body = { variant: o.variant, percent, ...(o.reason !== undefined ? { reason: o.reason } : {}) };
        const view = await ctx.client.request<ApiFlags>('PUT', `/api/v1/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(o.stage)}/flags/${encodeURIComponent(flag!)}`, { body });
        if (ctx.json) return ctx.emit(view);
        const f = view.flags.find((x) => x.flag === flag);
        const s = f?.stages.find((x) => x.stage === o.stage);
        ctx.print(f && s ? `${project} ${flag} in ${o.stage}: ${rolloutText(f, s)}` : `${project} ${flag} in ${o.stage}: set`);
      }),
    );
}

async function onlyProjectWith(ctx: CommandContext, flag: string): Promise<string> {
  const all = await Promise.all((await projectsOf(ctx, undefined)).map((p) => ctx.client.request<ApiFlags>('GET', `/api/v1/projects/${encodeURIComponent(p)}/flags`)));
  const having = all.filter((a) => a.flags.some((f) => f.flag === flag)).map((a) => a.project);
  if (having.length === 1) return having[0]!;
  throw new SlipwayError('INVALID_INPUT', having.length === 0 ? `no project declares flag '${flag}'; see \`slipway flags\`` : `projects ${having.join(', ')} declare flag '${flag}'; name one with --project`, { field: 'project' });
}
