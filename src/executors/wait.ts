/**
 * `wait` (a soak): suspends until `triggeredAt + duration`. The due time comes from
 * triggeredAt, not now, so a re-dispatch after a restart keeps the original due time. A
 * person may end it early: `skip` passes, `stop` fails.
 */
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../engine/executor.js';
import { durationBoundsProblem, formatDurationMs, parseDurationMs } from './duration.js';
import { assertValid, describe, type Problem, type Properties } from './properties.js';
import { attribution, unknownSignal } from './signals.js';

const HOUR = 3_600_000;
const SIGNALS = ['timer', 'stop', 'skip'] as const;

function problems(props: Properties): Problem[] {
  if (props.duration === undefined) {
    return [{ field: 'duration', message: 'duration is required, e.g. `30s`, `5m`, `1h30m` or a number of ms' }];
  }
  const ms = parseDurationMs(props.duration);
  if (ms === undefined) {
    return [
      {
        field: 'duration',
        message: `duration ${describe(props.duration)} is not a duration; use e.g. \`30s\`, \`5m\`, \`1h30m\`, \`2d\` or a number of ms`,
      },
    ];
  }
  const bounds = durationBoundsProblem(ms, `duration ${describe(props.duration)}`, 'a soak');
  return bounds === undefined ? [] : [{ field: 'duration', message: bounds }];
}

function durationOf(ctx: ExecutorContext): number {
  assertValid('wait', ctx.task.name, problems(ctx.task.properties));
  return parseDurationMs(ctx.task.properties.duration)!;
}

function suspendUntilDue(ctx: ExecutorContext, duration: number): TaskOutcome {
  const until = ctx.task.triggeredAt + duration;
  return {
    suspend: {
      until,
      waitingFor: 'stop|skip',
      message: `soaking for ${formatDurationMs(duration)} until ${new Date(until).toISOString()}`,
    },
  };
}

export function createWaitExecutor(): Executor {
  return {
    kind: 'wait',
    validate: problems,
    defaultTimeoutMs: (props) => (parseDurationMs(props.duration) ?? 0) + HOUR,
    async execute(ctx): Promise<TaskOutcome> {
      return suspendUntilDue(ctx, durationOf(ctx));
    },
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      const duration = durationOf(ctx);
      switch (resumption.signal) {
        case 'timer':
          // A timer that fires early (clock skew between nodes) waits out the rest.
          if (ctx.now() < ctx.task.triggeredAt + duration) return suspendUntilDue(ctx, duration);
          return { result: 'pass', message: `soaked for ${formatDurationMs(duration)}` };
        case 'skip':
          return { result: 'pass', message: `soak skipped${attribution(resumption, 'reason')}` };
        case 'stop':
          return { result: 'fail', message: `soak stopped${attribution(resumption, 'reason')}` };
        default:
          throw unknownSignal('wait', ctx.task.name, resumption.signal, SIGNALS);
      }
    },
  };
}
