/**
 * `flag`: sets a feature flag's rollout in the run's stage, through the engine (each change
 * is a flag.changed event and an audit row, recorded for the run's release). With `steps`
 * it ramps: one step now, then each next one after `pause`, suspended on a durable timer in
 * between (progress keeps the step, so a restart goes on where it was). A person may `skip`
 * the rest of a pause (the next step comes at once) or `stop` the ramp (the task fails at
 * the share it reached; the stage rolls back if the run's other tasks say so).
 */
import type { FlagSetInput } from '../core/index.js';
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../engine/executor.js';
import { formatDurationMs } from './duration.js';
import { flagPlan, flagProblems, type FlagPlan } from './flag-properties.js';
import { assertValid } from './properties.js';
import { attribution, unknownSignal } from './signals.js';

export interface FlagExecutorOptions {
  /** Applies a flag change through the engine; `ignored` when it changed nothing (a redelivery). */
  setFlag(input: FlagSetInput): Promise<{ ignored?: string }>;
}

const HOUR = 3_600_000;
const SIGNALS = ['timer', 'stop', 'skip'] as const;

function planOf(ctx: ExecutorContext): FlagPlan {
  assertValid('flag', ctx.task.name, flagProblems(ctx.task.properties));
  return flagPlan(ctx.task.properties);
}

function stepOf(ctx: ExecutorContext): number {
  const s = ctx.task.progress?.step;
  return typeof s === 'number' && Number.isInteger(s) && s >= 0 ? s : 0;
}

/** Applies step `i` (its input id makes a redelivered step harmless) and says what comes next. */
async function applyStep(ctx: ExecutorContext, opts: FlagExecutorOptions, plan: FlagPlan, i: number): Promise<TaskOutcome> {
  const percent = plan.shares[i]!;
  await opts.setFlag({
    type: 'flag.set',
    id: `${ctx.task.id}:flag:${i}`,
    by: ctx.run.triggeredBy ?? 'slipway',
    project: ctx.run.project,
    stage: ctx.run.stage,
    flag: plan.flag,
    rollout: { variant: plan.variant, percent, ...(plan.rules.length > 0 ? { rules: plan.rules } : {}) },
    taskId: ctx.task.id,
    reason: `flag task '${ctx.task.name}'${plan.shares.length > 1 ? ` step ${i + 1} of ${plan.shares.length}` : ''}`,
  });
  const done = `${plan.flag}: ${plan.variant} at ${plan.shares.slice(0, i + 1).join('% → ')}% in ${ctx.run.stage}`;
  const output = { flag: plan.flag, variant: plan.variant, percent, steps: plan.shares.slice(0, i + 1) };
  if (i === plan.shares.length - 1) return { result: 'pass', message: done, output };
  // Due times count from the trigger, so a restart keeps the schedule.
  const until = Math.max(ctx.now(), ctx.task.triggeredAt + (i + 1) * plan.pauseMs);
  return {
    suspend: {
      until,
      waitingFor: 'stop|skip',
      message: `${done}; next ${plan.shares[i + 1]}% at ${new Date(until).toISOString()} (pause ${formatDurationMs(plan.pauseMs)})`,
      progress: { step: i + 1, ...output },
    },
  };
}

export function createFlagExecutor(opts: FlagExecutorOptions): Executor {
  return {
    kind: 'flag',
    validate: flagProblems,
    defaultTimeoutMs: (props) => {
      const steps = Array.isArray(props.steps) ? props.steps.length : 1;
      return flagPlan(props).pauseMs * steps + HOUR;
    },
    async execute(ctx): Promise<TaskOutcome> {
      return applyStep(ctx, opts, planOf(ctx), Math.min(stepOf(ctx), planOf(ctx).shares.length - 1));
    },
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      const plan = planOf(ctx);
      const next = Math.min(stepOf(ctx), plan.shares.length - 1);
      switch (resumption.signal) {
        case 'timer':
          if (ctx.now() < ctx.task.triggeredAt + next * plan.pauseMs) {
            return { suspend: { until: ctx.task.triggeredAt + next * plan.pauseMs, waitingFor: 'stop|skip', message: `pausing before ${plan.shares[next]}%`, progress: { ...ctx.task.progress, step: next } } };
          }
          return applyStep(ctx, opts, plan, next);
        case 'skip':
          return applyStep(ctx, opts, plan, next);
        case 'stop': {
          const reached = next > 0 ? plan.shares[next - 1] : 0;
          return { result: 'fail', message: `ramp of ${plan.flag} stopped at ${reached}%${attribution(resumption, 'reason')}`, output: { flag: plan.flag, variant: plan.variant, percent: reached } };
        }
        default:
          throw unknownSignal('flag', ctx.task.name, resumption.signal, SIGNALS);
      }
    },
  };
}
