/**
 * `deploy`: puts the release's artifact of every service of the run onto a DeployTarget
 * with a strategy (see plan.ts). It walks the plan's steps, saving where it is after each,
 * suspends on a durable timer for pauses, and when a canary or dark analysis fails it
 * restores the previous version's traffic and retires the new one before failing.
 */
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../../engine/executor.js';
import { NonRetryableTaskError } from '../../engine/executor.js';
import { queryPrometheus } from '../../evaluation/index.js';
import type { DeployTarget, ServiceKey, SlotTraffic } from '../../platform/index.js';
import { formatDurationMs } from '../duration.js';
import { assertValid } from '../properties.js';
import { attribution, unknownSignal } from '../signals.js';
import type { AnalysisIO, Sides } from './analysis-run.js';
import { runAnalysis, sleepFor, startAnalysis } from './analysis-run.js';
import type { Analysis, Plan } from './plan.js';
import { planOf } from './plan.js';
import type { Progress } from './progress.js';
import { loadProgress, saveProgress } from './progress.js';
import { recordPoint } from './series.js';

export const SLOTS = ['blue', 'green'] as const;

export type Targets = (name: string) => DeployTarget | undefined;

export function keysOf(ctx: ExecutorContext): ServiceKey[] {
  return Object.keys(ctx.run.artifacts)
    .sort()
    .map((service) => ({ project: ctx.run.project, stage: ctx.run.stage, service }));
}

export function targetOf(targets: Targets, name: string): DeployTarget {
  const t = targets(name);
  if (!t) throw new NonRetryableTaskError(`deploy target '${name}' is not configured; built-in: local`);
  return t;
}

async function start(ctx: ExecutorContext, target: DeployTarget): Promise<Progress> {
  const slots: Progress['slots'] = {};
  for (const key of keysOf(ctx)) {
    const status = await target.status(key);
    const live = status?.slots.filter((s) => s.weight > 0).sort((a, b) => b.weight - a.weight)[0];
    const next = live?.slot === 'blue' ? 'green' : 'blue';
    slots[key.service] = live ? { next, previous: live.slot } : { next };
  }
  const first = Object.values(slots).every((s) => s.previous === undefined);
  return { step: 0, slots, window: {}, traffic: false, ...(first ? { first } : {}) };
}

function errorRate(now: SlotTraffic, then: SlotTraffic | undefined): { requests: number; errors: number } {
  return { requests: now.requests - (then?.requests ?? 0), errors: now.errors - (then?.errors ?? 0) };
}

/** Undefined when the error-rate check passed, else why it failed. */
function errorRateCheck(target: DeployTarget, ctx: ExecutorContext, p: Progress, a: Analysis): string | undefined {
  for (const key of keysOf(ctx)) {
    const { requests, errors } = errorRate(target.traffic(key, p.slots[key.service]!.next), p.window[key.service]);
    if (requests < a.minRequests) {
      if (a.inconclusive === 'fail') return `${key.service}: only ${requests} requests reached the new version (analysis needs ${a.minRequests})`;
      continue;
    }
    if (requests === 0) continue;
    const rate = errors / requests;
    if (rate > a.maxErrorRate) return `${key.service}: ${(rate * 100).toFixed(1)}% of ${requests} requests failed (at most ${(a.maxErrorRate * 100).toFixed(1)}% allowed)`;
  }
  return undefined;
}

async function restore(target: DeployTarget, ctx: ExecutorContext, p: Progress): Promise<void> {
  for (const key of keysOf(ctx)) {
    const { next, previous } = p.slots[key.service]!;
    if (previous) await target.setWeights(key, { [previous]: 100 });
    await target.retire(key, next);
  }
}

async function sidesOf(ctx: ExecutorContext, target: DeployTarget, p: Progress): Promise<Sides[]> {
  const out: Sides[] = [];
  for (const key of keysOf(ctx)) {
    const { next, previous } = p.slots[key.service]!;
    if (!previous) continue;
    const status = await target.status(key);
    const baselineVersion = status?.slots.find((s) => s.slot === previous)?.releaseId ?? '';
    out.push({ service: key.service, canarySlot: next, baselineSlot: previous, canaryVersion: ctx.run.releaseId, baselineVersion });
  }
  return out;
}

function ioOf(ctx: ExecutorContext, target: DeployTarget): AnalysisIO {
  const key = (service: string) => ({ project: ctx.run.project, stage: ctx.run.stage, service });
  return {
    now: () => ctx.now(),
    sleep: (ms) => sleepFor(ms, ctx.signal),
    traffic: (service, slot) => target.traffic(key(service), slot),
    heartbeat: (details) => ctx.heartbeat(details),
    prometheus: (url, query, time) => queryPrometheus(url, query, { time, signal: ctx.signal, timeoutMs: 10_000 }),
    project: ctx.run.project,
    stage: ctx.run.stage,
  };
}

const HOLD_SIGNALS = ['continue', 'abort'] as const;

/** The series for an outcome or a suspension, when there is one. */
function seriesOf(p: Progress): { series?: Progress['series'] } {
  return p.series ? { series: p.series } : {};
}

function hold(plan: Plan, p: Progress): TaskOutcome {
  return {
    suspend: {
      waitingFor: HOLD_SIGNALS.join('|'),
      message: `canary paused at step ${p.step + 1} of ${plan.steps.length} for a person: ${p.held!.reason}; send continue to go on or abort to restore the previous version`,
      // `traffic` as in the outcome: should the wait end in a timeout, the core's automatic
      // rollback sees that this release took live traffic and puts the last good one back.
      progress: { strategy: plan.strategy, traffic: p.traffic, step: p.step, analysis: p.held!.output, ...seriesOf(p) },
    },
  };
}

async function fail(target: DeployTarget, ctx: ExecutorContext, plan: Plan, p: Progress, why: string): Promise<TaskOutcome> {
  p.failed = why;
  await saveProgress(ctx.workDir, ctx.task.id, p);
  await restore(target, ctx, p);
  if (p.series) {
    p.weights = {};
    recordPoint(ctx, target, keysOf(ctx), p.step, p);
  }
  return {
    result: 'fail',
    message: `analysis failed, traffic restored to the previous version: ${why}`,
    output: { strategy: plan.strategy, traffic: p.traffic, rolledBack: true, ...(p.analyses ? { analyses: p.analyses } : {}), ...seriesOf(p) },
  };
}

async function walk(ctx: ExecutorContext, target: DeployTarget, plan: Plan, p: Progress, resumption?: Resumption): Promise<TaskOutcome> {
  const save = () => saveProgress(ctx.workDir, ctx.task.id, p);
  // Delivered again after it failed (a crash before the outcome was committed): finish restoring, same verdict.
  if (p.failed !== undefined) return fail(target, ctx, plan, p, p.failed);
  // Only a canary shifts traffic step by step: its course is worth a chart.
  const charted = plan.strategy === 'canary' && !p.first;
  if (charted && !p.series) recordPoint(ctx, target, keysOf(ctx), p.step, p);
  for (; p.step < plan.steps.length; p.step++, await save()) {
    const step = plan.steps[p.step]!;
    const keys = keysOf(ctx);
    // A first deploy has nothing to compare with or mirror from: it goes straight to the switch.
    if (p.first && (step.kind === 'setWeight' || step.kind === 'pause' || step.kind === 'analysis' || step.kind === 'mirror')) continue;
    switch (step.kind) {
      case 'deploy':
        for (const key of keys) {
          const version = { releaseId: ctx.run.releaseId, artifact: ctx.run.artifacts[key.service]!, baseDir: ctx.run.projectDir };
          await target.deploy(key, p.slots[key.service]!.next, version, ctx.signal);
          p.window[key.service] = target.traffic(key, p.slots[key.service]!.next);
        }
        break;
      case 'setWeight':
        for (const key of keys) {
          const { next, previous } = p.slots[key.service]!;
          await target.setWeights(key, previous ? { [next]: step.weight, [previous]: 100 - step.weight } : { [next]: 100 });
          p.window[key.service] = target.traffic(key, next);
          (p.weights ??= {})[key.service] = previous ? step.weight : 100;
        }
        p.traffic ||= step.weight > 0;
        break;
      case 'mirror':
        for (const key of keys) {
          const { next, previous } = p.slots[key.service]!;
          if (!previous) continue;
          await target.setWeights(key, { [previous]: 100 }, step.share > 0 ? { slot: next, share: step.share } : undefined);
          p.window[key.service] = target.traffic(key, next);
        }
        break;
      case 'pause':
        if (p.pauseUntil === undefined && p.series) recordPoint(ctx, target, keys, p.step, p);
        p.pauseUntil ??= ctx.now() + step.ms;
        if (ctx.now() < p.pauseUntil) {
          await save();
          return { suspend: { until: p.pauseUntil, message: `pausing ${formatDurationMs(step.ms)} at step ${p.step + 1} of ${plan.steps.length}`, progress: { strategy: plan.strategy, traffic: p.traffic, step: p.step, ...seriesOf(p) } } };
        }
        delete p.pauseUntil;
        break;
      case 'analysis': {
        if (p.held) {
          // Only a person's signal moves a held canary on; a redelivery or a timer suspends it again.
          const signal = resumption?.signal;
          if (signal === undefined || signal === 'timer') return hold(plan, p);
          if (!(HOLD_SIGNALS as readonly string[]).includes(signal)) throw unknownSignal('deploy', ctx.task.name, signal, HOLD_SIGNALS);
          const by = attribution(resumption!, 'reason');
          const last = p.analyses?.at(-1);
          if (last) last.by = `${signal}${by}`;
          const reason = p.held.reason;
          delete p.held;
          if (signal === 'abort') return fail(target, ctx, plan, p, `aborted${by} while paused: ${reason}`);
          break;
        }
        const a = step.analysis;
        if (a.errorRateCheck) {
          const why = errorRateCheck(target, ctx, p, a);
          if (why) return fail(target, ctx, plan, p, why);
        }
        if (a.judge || a.metrics) {
          const io = ioOf(ctx, target);
          const sides = await sidesOf(ctx, target, p);
          p.analysis ??= startAnalysis(a, sides, p.window, io);
          await save();
          const o = await runAnalysis(a, p.analysis, sides, io, save);
          delete p.analysis;
          (p.analyses ??= []).push({ step: p.step + 1, verdict: o.verdict, reason: o.reason, output: o.output });
          if (o.verdict === 'fail') return fail(target, ctx, plan, p, o.reason);
          if (o.verdict === 'pause') {
            p.held = { reason: o.reason, output: o.output };
            await save();
            return hold(plan, p);
          }
        }
        break;
      }
      case 'switch':
        for (const key of keys) {
          await target.setWeights(key, { [p.slots[key.service]!.next]: 100 });
          (p.weights ??= {})[key.service] = 100;
        }
        p.traffic = true;
        break;
      case 'retireOld':
        for (const key of keys) {
          const { previous } = p.slots[key.service]!;
          if (previous) await target.retire(key, previous);
        }
        break;
    }
    if (charted) recordPoint(ctx, target, keys, p.step + 1, p);
  }
  const slots = Object.fromEntries(Object.entries(p.slots).map(([s, v]) => [s, v.next]));
  const staged = plan.strategy === 'blue-green' || plan.strategy === 'dark';
  const note = staged ? `staged in ${Object.values(slots).join(', ')}; a release task switches traffic` : 'serving all traffic';
  const analysed = p.analyses ? `; ${p.analyses.map((x) => `analysis at step ${x.step}: ${x.verdict}${x.by ? `, ${x.by}` : ''} (${x.reason})`).join(', ')}` : '';
  return { result: 'pass', message: `${plan.strategy}: ${note}${analysed}`, output: { strategy: plan.strategy, slots, traffic: p.traffic, ...(p.analyses ? { analyses: p.analyses } : {}), ...seriesOf(p) } };
}

export function createDeployExecutor(targets: Targets): Executor {
  const run = async (ctx: ExecutorContext, resumption?: Resumption): Promise<TaskOutcome> => {
    const { plan, problems } = planOf(ctx.task.properties);
    assertValid('deploy', ctx.task.name, problems);
    const target = targetOf(targets, plan.target);
    const p = (await loadProgress(ctx.workDir, ctx.task.id)) ?? (await start(ctx, target));
    await saveProgress(ctx.workDir, ctx.task.id, p);
    return walk(ctx, target, plan, p, resumption);
  };
  return {
    kind: 'deploy',
    validate: (props) => planOf(props).problems,
    defaultTimeoutMs: () => 30 * 60_000,
    execute: (ctx) => run(ctx),
    resume: run,
  };
}
