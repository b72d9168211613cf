/**
 * `slipway migrate plan --project P [--release R] [--stage S]`: per stage, what each migrate
 * task would run (for a release: a dry run of its expand and contract), the schema changes
 * recorded there, and each pending contract with why it waits.
 * `slipway migrate contract --project P --stage S [--release R] [--dry-run]`: run a
 * release's contract now, as a run of its own (refused, with the reasons, while it may not).
 */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import type { CommandContext } from '../context.js';
import { color } from '../output.js';
import { utc } from './resume-auto.js';

/** GET /api/v1/projects/{project}/migrations */
export interface ApiMigrations {
  project: string;
  releaseId: string | null;
  stages: {
    stage: string;
    tasks: { task: string; sequence: string; service: string | null; database: string; autoContract: boolean; expand: string; contract: string; expandApplied: boolean | null; contractApplied: boolean | null }[];
    changes: { id: string; phase: string; service: string; releaseId: string; runId: string; applied: boolean; schemaVersion: number | null; at: number }[];
    pendingContracts: { releaseId: string; service: string; ready: boolean; blockers: string[]; notBefore: number | null }[];
  }[];
}

interface Contracted {
  releaseId: string;
  service: string;
  runId: string | null;
  dryRun: boolean;
  ready: boolean;
  blockers: string[];
}

function fetchMigrations(ctx: CommandContext, project: string, q: { release?: string; stage?: string }): Promise<ApiMigrations> {
  return ctx.client.request<ApiMigrations>('GET', `/api/v1/projects/${encodeURIComponent(project)}/migrations`, { query: q });
}

const done = (v: boolean | null, what: string): string => (v === null ? '' : v ? color.green(` (${what} recorded)`) : color.dim(` (${what} not run yet)`));

function printPlan(ctx: CommandContext, m: ApiMigrations): void {
  for (const s of m.stages) {
    if (s.tasks.length === 0 && s.changes.length === 0) continue;
    ctx.print(color.bold(`${s.stage}`));
    for (const t of s.tasks) {
      ctx.print(`  ${t.task}${t.service ? ` (${t.service})` : ''} on ${t.database}`);
      ctx.print(`    expand:   ${t.expand}${done(t.expandApplied, 'expand')}  — before the deploy`);
      ctx.print(`    contract: ${t.contract}${done(t.contractApplied, 'contract')}  — later, ${t.autoContract ? 'automatically' : 'by hand'}, once nothing older serves and the watch window closed`);
    }
    for (const c of s.changes) ctx.print(`  ${utc(c.at)}  ${c.phase.padEnd(8)} ${c.service} ${c.releaseId} ${c.applied ? 'applied' : 'found applied'}${c.schemaVersion !== null ? ` → schema version ${c.schemaVersion}` : ''} (run ${c.runId})`);
    for (const p of s.pendingContracts) {
      ctx.print(`  contract of ${p.releaseId} (${p.service}): ${p.ready ? color.green('ready') : `waits: ${p.blockers.join('; ')}`}`);
    }
  }
  if (m.stages.every((s) => s.tasks.length === 0 && s.changes.length === 0)) ctx.print(color.dim(`project ${m.project} has no migrate tasks (kind: migrate, phase: expand)`));
}

export function registerMigrate(program: Command): void {
  const migrate = program.command('migrate').description('expand/contract database changes: what runs where, and contracts');
  serverCommand(migrate, 'plan', 'per stage: what each migrate task would run (for --release: a dry run), the changes recorded, pending contracts and why they wait')
    .alias('status')
    .requiredOption('--project <name>', 'project')
    .option('--release <id>', 'show what would run for this release')
    .option('--stage <name>', 'only this stage')
    .action(
      act<{ project: string; release?: string; stage?: string }>(async (ctx, _args, o) => {
        const m = await fetchMigrations(ctx, o.project, { ...(o.release ? { release: o.release } : {}), ...(o.stage ? { stage: o.stage } : {}) });
        if (ctx.json) return ctx.emit(m);
        printPlan(ctx, m);
      }),
    );
  serverCommand(migrate, 'contract', "run a release's contract in a stage now (refused, with the reasons, while a slot serves an older release or its rollback window is open)")
    .requiredOption('--project <name>', 'project')
    .requiredOption('--stage <name>', 'stage')
    .option('--release <id>', 'default: the newest release expanded there and not contracted')
    .option('--service <name>', 'when the release has several services')
    .option('--dry-run', 'say whether it may run and why not, run nothing')
    .action(
      act<{ project: string; stage: string; release?: string; service?: string; dryRun?: boolean }>(async (ctx, _args, o) => {
        const body = { ...(o.release ? { releaseId: o.release } : {}), ...(o.service ? { service: o.service } : {}), ...(o.dryRun ? { dryRun: true } : {}) };
        const r = await ctx.client.request<Contracted>('POST', `/api/v1/projects/${encodeURIComponent(o.project)}/stages/${encodeURIComponent(o.stage)}/contract`, { body });
        if (ctx.json) return ctx.emit(r);
        if (r.dryRun) {
          ctx.print(r.ready ? `the contract of ${r.releaseId} (${r.service}) may run in ${o.stage} now` : `the contract of ${r.releaseId} (${r.service}) may not run in ${o.stage} yet: ${r.blockers.join('; ')}`);
          return r.ready ? 0 : 1;
        }
        ctx.print(`contract of ${r.releaseId} queued in ${o.stage} as run ${r.runId}; follow it with \`slipway watch ${r.runId}\``);
      }),
    );
}

/** Lines for `slipway status`: each stage's pending contracts. */
export async function printMigrationLines(ctx: CommandContext, project: string): Promise<void> {
  let m: ApiMigrations;
  try {
    m = await fetchMigrations(ctx, project, {});
  } catch {
    return; // a server older than migrations has nothing to add
  }
  for (const s of m.stages)
    for (const p of s.pendingContracts) ctx.print(`${s.stage}: contract of ${p.releaseId} (${p.service}) ${p.ready ? 'ready' : `waits: ${p.blockers.join('; ')}`}`);
}
