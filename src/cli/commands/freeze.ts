/**
 * `slipway freeze list [--project P]`: per stage, whether a freeze window holds it now, which,
 * when it opens and when the next window closes it (UTC and the window's zone), and the runs
 * held. `slipway freeze override RUN --reason WHY` (admin): let one held run start now.
 */
import type { Command } from 'commander';
import { act, serverCommand } from '../context.js';
import type { CommandContext } from '../context.js';
import { color } from '../output.js';
import { table } from '../table.js';

export interface Instant {
  at: number;
  utc: string;
  local: string;
}

export interface FreezeSpan {
  window: string;
  appliesTo: 'automation' | 'everyone';
  timeZone: string;
  reason: string | null;
  start: Instant;
  end: Instant;
}

/** GET /api/v1/projects/{project}/freezes */
export interface ApiFreezes {
  project: string;
  now: number;
  stages: {
    stage: string;
    frozen: boolean;
    frozenForPeople: boolean;
    holding: FreezeSpan[];
    opensAt: (Instant & { atLeast: boolean }) | null;
    opensForPeopleAt: (Instant & { atLeast: boolean }) | null;
    nextClose: FreezeSpan | null;
  }[];
  windows: { name: string; stages: string[]; appliesTo: string; timeZone: string; cron: string | null; durationMs: number | null; from: string | null; to: string | null; reason: string | null }[];
  held: { runId: string; stage: string; releaseId: string; origin: string; windows: string[]; until: Instant; since: number }[];
}

/** `2026-03-30 06:00 UTC (08:00 CEST)`: the local part drops the date when it is the same day. */
export function when(i: Instant, atLeast = false): string {
  const utc = `${i.utc.slice(0, 16).replace('T', ' ')} UTC`;
  const local = i.local.endsWith(' UTC') ? '' : ` (${i.local.slice(0, 10) === i.utc.slice(0, 10) ? i.local.slice(11) : i.local})`;
  return `${atLeast ? 'not before ' : ''}${utc}${local}`;
}

export function freezeState(s: ApiFreezes['stages'][number]): string {
  if (!s.frozen) return color.green('open');
  return color.red(s.frozenForPeople ? 'frozen' : 'frozen for automation');
}

export async function fetchFreezes(ctx: CommandContext, project: string): Promise<ApiFreezes> {
  return ctx.client.request<ApiFreezes>('GET', `/api/v1/projects/${encodeURIComponent(project)}/freezes`);
}

export function registerFreeze(program: Command): void {
  const freeze = program.command('freeze').description('freeze windows: when stages take no new runs');
  serverCommand(freeze, 'list', 'per stage: frozen now or not, by which window, when it opens and when the next window closes it')
    .option('--project <name>', 'project (default: every project)')
    .action(
      act<{ project?: string }>(async (ctx, _args, opts) => {
        const projects = opts.project ? [opts.project] : (await ctx.client.request<{ projects: { name: string }[] }>('GET', '/api/v1/projects')).projects.map((p) => p.name);
        const all = await Promise.all(projects.map((p) => fetchFreezes(ctx, p)));
        if (ctx.json) return ctx.emit(opts.project ? all[0] : { projects: all });
        const rows = all.flatMap((f) =>
          f.stages.map((s) => [
            f.project,
            s.stage,
            freezeState(s),
            s.holding.map((h) => h.window).join(', ') || color.dim('-'),
            s.opensAt ? when(s.opensAt, s.opensAt.atLeast) : color.dim('-'),
            s.nextClose ? `${when(s.nextClose.start)} ${color.dim(s.nextClose.window)}` : color.dim('none'),
          ]),
        );
        ctx.print(table(['PROJECT', 'STAGE', 'STATE', 'WINDOW', 'OPENS', 'NEXT CLOSE'], rows));
        for (const f of all) {
          for (const h of f.held) ctx.print(`held: ${h.runId} (release ${h.releaseId}, ${h.origin}) in ${h.stage} by ${h.windows.join(', ')} until ${when(h.until)}`);
          if (f.windows.length === 0 && !opts.project) continue;
          if (f.windows.length === 0) ctx.print(color.dim(`project ${f.project} declares no freeze windows (spec.freezes)`));
        }
      }),
    );
  serverCommand(freeze, 'override', 'let one run held by a freeze window start now (admin); the reason is recorded')
    .argument('<run>', 'run id (run-…)')
    .requiredOption('--reason <text>', 'why this run may go now (kept in the run.freeze-overridden event)')
    .action(
      act<{ reason: string }>(async (ctx, [run], opts) => {
        const r = await ctx.client.request<{ runId: string; state: string }>('POST', `/api/v1/runs/${encodeURIComponent(run!)}/unfreeze`, { body: { reason: opts.reason } });
        if (ctx.json) return ctx.emit(r);
        ctx.print(`run ${r.runId} let through the freeze (${r.state}): ${opts.reason}`);
      }),
    );
}

/** Lines for `slipway status`: each frozen stage, and the runs held there. */
export async function printFreezeLines(ctx: CommandContext, project: string): Promise<void> {
  let f: ApiFreezes;
  try {
    f = await fetchFreezes(ctx, project);
  } catch {
    // A server without freeze windows (older than them) has nothing to add.
    return;
  }
  for (const s of f.stages.filter((x) => x.frozen)) {
    const held = f.held.filter((h) => h.stage === s.stage).map((h) => h.runId);
    const opens = s.opensAt ? `until ${when(s.opensAt, s.opensAt.atLeast)}` : '';
    ctx.print(`${s.stage}: ${freezeState(s)} by ${s.holding.map((h) => h.window).join(', ')} ${opens}${held.length > 0 ? `; held: ${held.join(', ')}` : ''}`);
  }
}
