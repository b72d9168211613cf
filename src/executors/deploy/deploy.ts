/**
 * `deploy`: puts the release's artifact of every service of the run onto a DeployTarget
 * with a strategy (see plan.ts). It walks the plan's steps, saving where it is after each,
 * suspends on a durable timer for pauses, and when a canary or dark analysis fails it
 * restores the previous version's traffic and retires the new one before failing.
 */
import type { Executor, ExecutorContext, TaskOutcome } from '../../engine/executor.js';
import { NonRetryableTaskError } from '../../engine/executor.js';
import type { DeployTarget, ServiceKey, SlotTraffic } from '../../platform/index.js';
import { formatDurationMs } from '../duration.js';
import { assertValid } from '../properties.js';
import type { Analysis, Plan } from './plan.js';
import { planOf } from './plan.js';
import type { Progress } from './progress.js';
import { loadProgress, saveProgress } from './progress.js';

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

/** Undefined when the analysis passed, else why it failed. */
function judge(target: DeployTarget, ctx: ExecutorContext, p: Progress, a: Analysis): string | undefined {
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

async function walk(ctx: ExecutorContext, target: DeployTarget, plan: Plan, p: Progress): Promise<TaskOutcome> {
  const save = () => saveProgress(ctx.workDir, ctx.task.id, p);
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
        p.pauseUntil ??= ctx.now() + step.ms;
        if (ctx.now() < p.pauseUntil) {
          await save();
          return { suspend: { until: p.pauseUntil, message: `pausing ${formatDurationMs(step.ms)} at step ${p.step + 1} of ${plan.steps.length}` } };
        }
        delete p.pauseUntil;
        break;
      case 'analysis': {
        const why = judge(target, ctx, p, step.analysis);
        if (why) {
          await restore(target, ctx, p);
          await save();
          return { result: 'fail', message: `analysis failed, traffic restored to the previous version: ${why}`, output: { strategy: plan.strategy, traffic: p.traffic, rolledBack: true } };
        }
        break;
      }
      case 'switch':
        for (const key of keys) await target.setWeights(key, { [p.slots[key.service]!.next]: 100 });
        p.traffic = true;
        break;
      case 'retireOld':
        for (const key of keys) {
          const { previous } = p.slots[key.service]!;
          if (previous) await target.retire(key, previous);
        }
        break;
    }
  }
  const slots = Object.fromEntries(Object.entries(p.slots).map(([s, v]) => [s, v.next]));
  const staged = plan.strategy === 'blue-green' || plan.strategy === 'dark';
  const note = staged ? `staged in ${Object.values(slots).join(', ')}; a release task switches traffic` : 'serving all traffic';
  return { result: 'pass', message: `${plan.strategy}: ${note}`, output: { strategy: plan.strategy, slots, traffic: p.traffic } };
}

export function createDeployExecutor(targets: Targets): Executor {
  const run = async (ctx: ExecutorContext): Promise<TaskOutcome> => {
    const { plan, problems } = planOf(ctx.task.properties);
    assertValid('deploy', ctx.task.name, problems);
    const target = targetOf(targets, plan.target);
    const p = (await loadProgress(ctx.workDir, ctx.task.id)) ?? (await start(ctx, target));
    await saveProgress(ctx.workDir, ctx.task.id, p);
    return walk(ctx, target, plan, p);
  };
  return {
    kind: 'deploy',
    validate: (props) => planOf(props).problems,
    defaultTimeoutMs: () => 30 * 60_000,
    execute: run,
    resume: run,
  };
}
