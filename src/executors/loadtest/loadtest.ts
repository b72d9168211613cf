/**
 * `loadtest`: drives the candidate at multiples of a baseline rate (Continuous Delivery's
 * capacity test: 1×, 2×, 5×, 10× today's load), one level at a time, and judges each level
 * by absolute thresholds and against the previous release's figures at the same level.
 *
 * After each level the task suspends for no time with the figures so far as its progress:
 * every level becomes a `<task>.waiting` event with its figures (the report is part of the
 * run as it happens), and a restart resumes at the next level instead of starting over. The
 * finished event carries every level; its message names the failing level and figure.
 */
import type { Result } from '../../core/index.js';
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../../engine/executor.js';
import { NonRetryableTaskError } from '../../engine/executor.js';
import { SLOT_HEADER } from '../../platform/index.js';
import { assertValid } from '../properties.js';
import { unknownSignal } from '../signals.js';
import { drive, type LevelFigures } from './drive.js';
import { candidateOf, measureLive, serviceOf, statusOf, type ReplayRequest, type TrafficDeps } from './endpoint.js';
import { judgeLevel, levelLine, summary } from './judge.js';
import { previousFigures, type Previous } from './previous.js';
import { describeLevel, loadtestTimeoutMs, parseLoadtest, type LoadtestSpec } from './spec.js';

export type JudgedLevel = LevelFigures & { result: Result; reasons: string[] };

/** What survives between levels (the task's progress, at most 64 KiB: no recorded requests here). */
interface Progress {
  baseline: { rps: number; from: 'declared' | 'live' };
  target: { url: string; slot?: string; releaseId?: string };
  previous?: Previous;
  levels: JudgedLevel[];
}

function specOf(ctx: ExecutorContext): LoadtestSpec {
  const { spec, problems } = parseLoadtest(ctx.task.properties);
  assertValid('loadtest', ctx.task.name, problems);
  return spec;
}

async function prepare(ctx: ExecutorContext, spec: LoadtestSpec, deps: TrafficDeps): Promise<Progress> {
  const key = serviceOf(ctx, 'loadtest', spec.service);
  let target: Progress['target'];
  if (spec.url !== undefined) target = { url: spec.url };
  else {
    const c = candidateOf(await statusOf(deps, ctx, 'loadtest', spec.target, key), ctx, 'loadtest', key, spec.path);
    target = { url: c.url, ...(c.slot !== undefined ? { slot: c.slot } : {}), ...(c.releaseId !== undefined ? { releaseId: c.releaseId } : {}) };
  }
  let baseline: Progress['baseline'];
  if ('rps' in spec.baseline) baseline = { rps: spec.baseline.rps, from: 'declared' };
  else {
    const t = deps.targets(spec.target);
    if (!t) throw new NonRetryableTaskError(`loadtest task '${ctx.task.name}': baseline.live measures the stage's traffic on target '${spec.target}', which is not configured`);
    ctx.log.info(`measuring live traffic of '${key.service}' for ${spec.baseline.liveMs} ms`);
    const live = await measureLive(t, key, target.slot, spec.baseline.liveMs, ctx.signal);
    baseline = { rps: Math.max(spec.baseline.min, Math.round(live * 10) / 10), from: 'live' };
  }
  const previous = await previousFigures(ctx);
  const p: Progress = { baseline, target, ...(previous ? { previous } : {}), levels: [] };
  if (spec.warmupMs > 0) await warmup(ctx, spec, deps, p);
  return p;
}

/** The first level's load for `warmup`, figures dropped: a cold process must not fail 1×. */
async function warmup(ctx: ExecutorContext, spec: LoadtestSpec, deps: TrafficDeps, p: Progress): Promise<void> {
  const rps = Math.max(1, Math.round(p.baseline.rps * spec.levels[0]!));
  ctx.log.info(`warming up at ${rps} rps for ${spec.warmupMs} ms (not judged)`);
  const f = await drive(
    { url: p.target.url, method: spec.method, headers: headersOf(spec, p), requests: replaySample(ctx, spec, deps), rps, durationMs: spec.warmupMs, timeoutMs: spec.timeoutMs, ...(spec.connections !== undefined ? { connections: spec.connections } : {}) },
    0,
    ctx.signal,
    (second, responses) => ctx.heartbeat({ warmup: true, rps, second, responses }),
  );
  ctx.log.info(`warm-up done: ${f.requests} requests, p99 ${Math.round(f.p99Ms)} ms`);
}

function replaySample(ctx: ExecutorContext, spec: LoadtestSpec, deps: TrafficDeps): readonly ReplayRequest[] {
  if (!spec.replay || !deps.traffic) return [];
  return deps.traffic.recorded(serviceOf(ctx, 'loadtest', spec.service))?.requests ?? [];
}

function headersOf(spec: LoadtestSpec, p: Progress): Record<string, string> {
  return { ...spec.headers, ...(p.target.slot !== undefined ? { [SLOT_HEADER]: p.target.slot } : {}) };
}

function finish(p: Progress, spec: LoadtestSpec): TaskOutcome {
  const s = summary(p.levels, spec.levels.length);
  // The limits go with the figures so a reader (the dashboard's p99 chart) can draw them.
  return { result: s.result, message: s.message, output: { ...p, thresholds: spec.thresholds } };
}

async function next(ctx: ExecutorContext, spec: LoadtestSpec, deps: TrafficDeps, p: Progress): Promise<TaskOutcome> {
  const i = p.levels.length;
  if (i >= spec.levels.length) return finish(p, spec);
  const level = spec.levels[i]!;
  const rps = Math.max(1, Math.round(p.baseline.rps * level));
  const requests = replaySample(ctx, spec, deps);
  ctx.log.info(`level ${i + 1} of ${spec.levels.length}: ${describeLevel(level, rps)} for ${spec.durationMs} ms${requests.length > 0 ? `, replaying ${requests.length} recorded requests` : ''}`);
  const figures = await drive(
    { url: p.target.url, method: spec.method, headers: headersOf(spec, p), requests, rps, durationMs: spec.durationMs, timeoutMs: spec.timeoutMs, ...(spec.connections !== undefined ? { connections: spec.connections } : {}) },
    level,
    ctx.signal,
    (second, responses) => ctx.heartbeat({ level, rps, second, responses }),
  );
  const prev = p.previous?.levels.find((l) => l.level === level);
  const verdict = judgeLevel(figures, { thresholds: spec.thresholds, warn: spec.warn, regression: spec.regression, previous: prev, previousRelease: p.previous?.releaseId });
  p.levels.push({ ...figures, ...verdict });
  ctx.log.info(`${levelLine(figures)}: ${verdict.result}${verdict.reasons.length > 0 ? ` (${verdict.reasons.join('; ')})` : ''}`, { level, rps, result: verdict.result });
  if ((verdict.result === 'fail' && spec.stopOnFail) || i + 1 === spec.levels.length) return finish(p, spec);
  const after = spec.levels[i + 1]!;
  return {
    suspend: {
      until: ctx.now(),
      message: `level ${i + 1} of ${spec.levels.length} ${verdict.result}: ${levelLine(figures)}; next ${describeLevel(after, Math.max(1, Math.round(p.baseline.rps * after)))}`,
      progress: { ...p },
    },
  };
}

function progressOf(ctx: ExecutorContext): Progress | undefined {
  const p = ctx.task.progress as Partial<Progress> | undefined;
  return p && Array.isArray(p.levels) && p.baseline && p.target ? (p as Progress) : undefined;
}

export function createLoadtestExecutor(deps: TrafficDeps): Executor {
  return {
    kind: 'loadtest',
    validate: (props) => parseLoadtest(props).problems,
    defaultTimeoutMs: loadtestTimeoutMs,
    async execute(ctx): Promise<TaskOutcome> {
      const spec = specOf(ctx);
      // Delivered again after a crash: the levels done so far stand; the interrupted one runs again.
      return next(ctx, spec, deps, progressOf(ctx) ?? (await prepare(ctx, spec, deps)));
    },
    async resume(ctx, r: Resumption): Promise<TaskOutcome> {
      if (r.signal !== 'timer') throw unknownSignal('loadtest', ctx.task.name, r.signal, ['timer']);
      const spec = specOf(ctx);
      return next(ctx, spec, deps, progressOf(ctx) ?? (await prepare(ctx, spec, deps)));
    },
  };
}
