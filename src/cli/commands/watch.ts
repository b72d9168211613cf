/**
 * `slipway watch ID`: live progress of a run (`run-…`) or a release (`rel-…`) until it
 * settles. Exit 0 when it passed, 1 when it failed: usable as a CI step.
 */
import type { Command } from 'commander';
import type { SlipwayEvent } from '../../core/index.js';
import { parseTaskEventType } from '../../core/index.js';
import type { ApiRun, EventsPage, RunsPage, StatusMatrix } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { act, serverCommand } from '../context.js';
import { resultColor, withMessage } from '../output.js';
import { approvalLine } from '../progress.js';
import { followEvents } from '../sse.js';
import { describeOutcome, passed } from '../summary.js';

const ACTIVE = ['queued', 'running', 'waiting', 'paused'];

export function registerWatch(program: Command): void {
  serverCommand(program, 'watch', 'follow a run or a release until it settles (exit 0 pass, 1 fail)')
    .argument('<id>', 'run id (run-…) or release id (rel-…)')
    .option('--project <name>', 'project (needed for a release id)')
    .action(
      act<{ project?: string }>(async (ctx, [id], opts) => {
        if (id!.startsWith('rel-')) {
          if (!opts.project) {
            const page = await ctx.client.request<RunsPage>('GET', '/api/v1/runs', { query: { release: id, limit: 1 } });
            const project = page.runs[0]?.project;
            if (!project) throw new Error(`release ${id} has no runs`);
            return watchRelease(ctx, project, id!);
          }
          return watchRelease(ctx, opts.project, id!);
        }
        return watchRun(ctx, id!);
      }),
    );
}

function line(ev: SlipwayEvent): string | undefined {
  const d = ev.data as Record<string, unknown>;
  const stage = String(d['stage'] ?? (d['run'] as { stage?: string } | undefined)?.stage ?? '').padEnd(12);
  const task = parseTaskEventType(ev.type);
  if (task) {
    if (task.phase === 'finished') {
      const result = String(d['result']);
      return withMessage(`  ${stage} ${task.task.padEnd(18)} ${resultColor(result)(result)}`, result, d['message']);
    }
    if (task.phase === 'triggered') return `  ${stage} ${task.task.padEnd(18)} started`;
    if (task.phase === 'scheduled' && d['dueAt'] !== undefined) return `  ${stage} ${task.task.padEnd(18)} due at ${new Date(Number(d['dueAt'])).toISOString()} (skip the wait: slipway signal ${ev.taskid ?? ''} skip)`;
    if (task.phase === 'waiting') return `  ${stage} ${task.task.padEnd(18)} waiting${d['message'] ? `: ${String(d['message'])}` : ''}`;
    return undefined;
  }
  if (ev.type === 'sh.slipway.run.finished') return `${stage} ${resultColor(String(d['state']))(String(d['state']))}${d['result'] ? ` (${String(d['result'])})` : ''}`;
  if (ev.type === 'sh.slipway.run.started') return `${stage} running`;
  if (ev.type === 'sh.slipway.run.frozen') {
    const until = new Date(Number(d['until'])).toISOString().slice(0, 16).replace('T', ' ');
    return `${stage} frozen by ${(d['windows'] as string[]).join(', ')} until ${d['atLeast'] ? 'at least ' : ''}${until} UTC${d['reason'] ? `: ${String(d['reason'])}` : ''}`;
  }
  if (ev.type === 'sh.slipway.run.thawed') return `${stage} ${String(d['reason'])}`;
  if (ev.type === 'sh.slipway.run.freeze-overridden') return `${stage} freeze ${(d['windows'] as string[]).join(', ')} overridden by ${String(d['by'])}: ${String(d['reason'])}`;
  if (ev.type === 'sh.slipway.release.promotable') return `${stage} waits for a manual promotion`;
  if (ev.type === 'sh.slipway.release.approval') return approvalLine(stage, d);
  if (ev.type === 'sh.slipway.run.loop-stopped') return `${stage} stopped: ${String(d['reason'])}`;
  if (ev.type === 'sh.slipway.release.alarm') return `${stage} ${String(d['reason'])}${d['rollbackTo'] ? `; rolling back to release ${String(d['rollbackTo'])}` : ''}`;
  return undefined;
}

/**
 * Prints what happened to the watched runs (after `seq`, when given), and answers the log
 * position to stream after. Also the catch-up when a check found the runs settled before the
 * stream delivered their last events.
 */
async function backlog(ctx: CommandContext, runIds: string[], seq?: number): Promise<number | undefined> {
  let last = seq;
  const all: { seq: number; event: SlipwayEvent }[] = [];
  for (const run of runIds) {
    const page = await ctx.client.request<EventsPage>('GET', '/api/v1/events', { query: { run, limit: 1000, ...(seq !== undefined ? { after: String(seq) } : {}) } });
    all.push(...page.events);
  }
  for (const { seq, event } of all.sort((a, b) => a.seq - b.seq)) {
    show(ctx, event);
    last = seq;
  }
  return last;
}

function show(ctx: CommandContext, event: SlipwayEvent): void {
  if (ctx.json) return ctx.emit(event);
  const l = line(event);
  if (l) ctx.print(l);
}

/** What watching ended with: the runs that settled, the exit code, and the closing line to print (once every event of those runs is shown). */
interface Settled {
  runIds: string[];
  code: number;
  say: () => void;
}

async function until(ctx: CommandContext, query: Record<string, string>, runIds: string[], relevant: (ev: SlipwayEvent) => boolean, settled: () => Promise<Settled | undefined>): Promise<number> {
  let shown = await backlog(ctx, runIds);
  // Found settled by a check rather than in the stream: the runs' last events may not have been shown yet.
  const closeAfterCatchUp = async (s: Settled): Promise<number> => {
    await backlog(ctx, s.runIds, shown);
    s.say();
    return s.code;
  };
  const first = await settled();
  if (first !== undefined) return closeAfterCatchUp(first);
  const controller = new AbortController();
  let polled: Settled | undefined;
  // A safety net for the moment between the first check and the stream connecting.
  const poll = setInterval(() => {
    settled()
      .then((s) => {
        if (s !== undefined && polled === undefined) {
          polled = s;
          controller.abort();
        }
      })
      .catch(() => undefined);
  }, 3000);
  try {
    for await (const { seq, event } of followEvents(ctx.client, query, controller.signal, shown)) {
      shown = seq;
      if (!relevant(event)) continue;
      show(ctx, event);
      if (event.type === 'sh.slipway.run.finished' || event.type === 'sh.slipway.release.promotable') {
        const s = await settled();
        if (s !== undefined && polled === undefined) {
          s.say();
          return s.code;
        }
        if (polled !== undefined) break;
      }
    }
  } finally {
    clearInterval(poll);
    controller.abort();
  }
  return polled ? closeAfterCatchUp(polled) : 1;
}


export async function watchRun(ctx: CommandContext, runId: string): Promise<number> {
  return until(
    ctx,
    { run: runId },
    [runId],
    (ev) => ev.runid === runId,
    async () => {
      const run = await ctx.client.request<ApiRun>('GET', `/api/v1/runs/${encodeURIComponent(runId)}`);
      if (ACTIVE.includes(run.state)) return undefined;
      const outcome = describeOutcome([run], [run.stage]);
      return { runIds: [run.id], code: passed(run) ? 0 : 1, say: () => !ctx.json && ctx.print(`run ${run.id} ${outcome.ok ? `${run.state}${run.result ? ` (${run.result})` : ''}` : outcome.text}`) };
    },
  );
}

export async function watchRelease(ctx: CommandContext, project: string, releaseId: string): Promise<number> {
  const known = await ctx.client.request<RunsPage>('GET', '/api/v1/runs', { query: { release: releaseId, limit: 500 } });
  return until(
    ctx,
    { project },
    known.runs.map((r) => r.id),
    (ev) => (ev.data as { releaseId?: string; run?: { releaseId?: string } }).releaseId === releaseId || (ev.data as { run?: { releaseId?: string } }).run?.releaseId === releaseId || ev.subject === releaseId,
    async () => {
      const page = await ctx.client.request<RunsPage>('GET', '/api/v1/runs', { query: { release: releaseId, limit: 500 } });
      if (page.runs.some((r) => ACTIVE.includes(r.state))) return undefined;
      const outcome = describeOutcome(page.runs, await stageOrder(ctx, project));
      return { runIds: page.runs.map((r) => r.id), code: outcome.ok ? 0 : 1, say: () => !ctx.json && ctx.print(`release ${releaseId} ${outcome.text}`) };
    },
  );
}

/** The project's stages in pipeline order (to name those a release never reached). */
async function stageOrder(ctx: CommandContext, project: string): Promise<string[]> {
  try {
    const status = await ctx.client.request<StatusMatrix>('GET', `/api/v1/projects/${encodeURIComponent(project)}/status`);
    return status.stages.map((s) => s.name);
  } catch {
    return [];
  }
}
