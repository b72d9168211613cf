/**
 * `alarm-check`: no alarm of an earlier stage may be firing before a release enters this one
 * (a stage's `requireNoAlarms: {stage, timeout}`, placed first by the spec mapping). It
 * passes once a poll finds none firing; meanwhile the run waits, its message naming the
 * alerts, and it fails when `timeout` (from when it was triggered) passes. An alarm source
 * that cannot be read proves nothing: the check keeps waiting and says why. `skip` passes
 * and `stop` fails it at once, with a reason.
 */
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../engine/executor.js';
import { alarmProblems, errorText, fastestInterval, firingText, parseAlarms, readAlarms, readingsRecord } from './alarms.js';
import { durationBoundsProblem, formatDurationMs, parseDurationMs } from './duration.js';
import { assertValid, describe, type Problem, type Properties } from './properties.js';
import { attribution, unknownSignal } from './signals.js';

const SIGNALS = ['timer', 'stop', 'skip'] as const;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;

function problems(props: Properties): Problem[] {
  const out = alarmProblems(props);
  if (props.alarms === undefined) out.push({ field: 'alarms', message: 'alarms is required: the alarms that must not be firing' });
  if (props.stage !== undefined && typeof props.stage !== 'string') out.push({ field: 'stage', message: `stage must be a stage name, got ${describe(props.stage)}` });
  if (props.timeout !== undefined) {
    const ms = parseDurationMs(props.timeout);
    const bounds = ms === undefined ? `timeout ${describe(props.timeout)} is not a duration; use e.g. \`30m\`` : durationBoundsProblem(ms, `timeout ${describe(props.timeout)}`, 'a wait for alarms to stop');
    if (bounds !== undefined) out.push({ field: 'timeout', message: bounds });
  }
  return out;
}

function where(ctx: ExecutorContext): string {
  const stage = ctx.task.properties.stage;
  return typeof stage === 'string' ? `of stage '${stage}'` : 'listed';
}

async function check(ctx: ExecutorContext): Promise<TaskOutcome> {
  assertValid('alarm-check', ctx.task.name, problems(ctx.task.properties));
  const alarms = parseAlarms(ctx.task.properties.alarms);
  const timeoutMs = parseDurationMs(ctx.task.properties.timeout) ?? DEFAULT_TIMEOUT_MS;
  const now = ctx.now();
  const deadline = ctx.task.triggeredAt + timeoutMs;
  const readings = await readAlarms(alarms, ctx.signal);
  const firing = firingText(readings);
  const errors = errorText(readings);
  const names = alarms.map((a) => a.name).join(', ') || '(none)';
  if (firing === '' && errors === '') return { result: 'pass', message: `no alarm ${where(ctx)} is firing (${names})` };
  const why = [firing, errors].filter(Boolean).join('; ');
  if (now >= deadline) {
    return {
      result: 'fail',
      message: `alarms ${where(ctx)} did not clear within ${formatDurationMs(timeoutMs)}: ${why}`,
      output: { alarms: readingsRecord(readings) },
    };
  }
  return {
    suspend: {
      until: Math.min(deadline, now + fastestInterval(alarms)),
      waitingFor: 'stop|skip',
      message: `waiting for alarms ${where(ctx)} to stop firing (until ${new Date(deadline).toISOString()}): ${why}`,
      progress: { polledAt: now, alarms: readingsRecord(readings) },
    },
  };
}

export function createAlarmCheckExecutor(): Executor {
  return {
    kind: 'alarm-check',
    validate: problems,
    // The mapping sets the task's timeout a minute past the check's own, so the check's message ends it.
    defaultTimeoutMs: (props) => (parseDurationMs(props.timeout) ?? DEFAULT_TIMEOUT_MS) + 60_000,
    execute: check,
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      switch (resumption.signal) {
        case 'timer':
          return check(ctx);
        case 'skip':
          return { result: 'pass', message: `alarm check skipped${attribution(resumption, 'reason')}` };
        case 'stop':
          return { result: 'fail', message: `alarm check stopped${attribution(resumption, 'reason')}` };
        default:
          throw unknownSignal('alarm-check', ctx.task.name, resumption.signal, SIGNALS);
      }
    },
  };
}
