/**
 * `wait` (a soak): suspends until `triggeredAt + duration`. The due time comes from
 * triggeredAt, not now, so a re-dispatch after a restart keeps the original due time. A
 * person may end it early: `skip` passes, `stop` fails.
 *
 * With `alarms` (a stage's alarms, put here by the spec mapping) it polls them while it
 * soaks: it suspends until the earlier of the next poll and the due time, and a firing alarm
 * ends the soak with `fail` (its output says `alarmFired`, so the stage rolls back). An alarm
 * source that cannot be read does not end the soak; the task's message says so.
 */
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../engine/executor.js';
import { durationBoundsProblem, formatDurationMs, parseDurationMs } from './duration.js';
import { assertValid, describe, type Problem, type Properties } from './properties.js';
import { alarmProblems, errorText, fastestInterval, firingText, parseAlarms, readAlarms, readingsRecord } from './alarms.js';
import { attribution, unknownSignal } from './signals.js';

const HOUR = 3_600_000;
const SIGNALS = ['timer', 'stop', 'skip'] as const;

function problems(props: Properties): Problem[] {
  return [...durationProblems(props), ...alarmProblems(props)];
}

function durationProblems(props: Properties): Problem[] {
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

/** One poll of the alarms: a firing one ends the soak; otherwise it sleeps until the next poll or the due time. */
async function soak(ctx: ExecutorContext, duration: number): Promise<TaskOutcome> {
  const alarms = parseAlarms(ctx.task.properties.alarms);
  if (alarms.length === 0) return suspendUntilDue(ctx, duration);
  const now = ctx.now();
  const due = ctx.task.triggeredAt + duration;
  const readings = await readAlarms(alarms, ctx.signal);
  const polls = (typeof ctx.task.progress?.polls === 'number' ? ctx.task.progress.polls : 0) + 1;
  const firing = firingText(readings);
  if (firing !== '') {
    return {
      result: 'fail',
      message: `soak ended by a firing alarm after ${formatDurationMs(Math.max(0, now - ctx.task.triggeredAt))} of ${formatDurationMs(duration)}: ${firing}`,
      output: { alarmFired: readingsRecord(readings.filter((r) => r.firing.length > 0)), polls },
    };
  }
  // The due time came: this last poll found nothing firing.
  if (now >= due) return { result: 'pass', message: `soaked for ${formatDurationMs(duration)}; alarms ${alarms.map((a) => a.name).join(', ')} did not fire (${polls} poll${polls === 1 ? '' : 's'})` };
  const errors = errorText(readings);
  const names = alarms.map((a) => a.name).join(', ');
  return {
    suspend: {
      until: Math.min(due, now + fastestInterval(alarms)),
      waitingFor: 'stop|skip',
      message: `soaking for ${formatDurationMs(duration)} until ${new Date(due).toISOString()}; alarms ${names}: none firing at ${new Date(now).toISOString()} (poll ${polls})${errors ? `; ${errors}` : ''}`,
      progress: { polls, polledAt: now, alarms: readingsRecord(readings) },
    },
  };
}

export function createWaitExecutor(): Executor {
  return {
    kind: 'wait',
    validate: problems,
    defaultTimeoutMs: (props) => (parseDurationMs(props.duration) ?? 0) + HOUR,
    async execute(ctx): Promise<TaskOutcome> {
      return soak(ctx, durationOf(ctx));
    },
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      const duration = durationOf(ctx);
      switch (resumption.signal) {
        case 'timer':
          // With alarms, every wake polls them, the last one too: an alarm firing at the end still fails the soak.
          if (parseAlarms(ctx.task.properties.alarms).length > 0) return soak(ctx, duration);
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
