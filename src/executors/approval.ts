/**
 * `approval` with Keptn's semantics: `pass` and `warning` each take `automatic` or `manual`
 * (missing means manual) and choose what happens for the run's result so far; a failed
 * result is never approved. Manual approval suspends until `approve` or `reject`.
 *
 * Who must approve is the task's policy (`minApprovers`, `approvers`, `allowTriggerer`):
 * the core records every answer and resumes this executor only when the policy is met
 * (`approve`, with the approvers in the payload) or someone rejected (`reject`). With
 * `timeout`, the task is resumed by its timer then and ends as `onTimeout` says.
 */
import { describePolicy, hasPolicy, parseApprovalPolicy } from '../core/index.js';
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../engine/executor.js';
import { durationBoundsProblem, formatDurationMs, parseDurationMs } from './duration.js';
import { assertValid, describe, type Problem, type Properties } from './properties.js';
import { attribution, unknownSignal } from './signals.js';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const MODES = ['automatic', 'manual'] as const;
type Mode = (typeof MODES)[number];
const ON_TIMEOUT = ['fail', 'pass'] as const;
type OnTimeout = (typeof ON_TIMEOUT)[number];
const SIGNALS = ['approve', 'reject', 'timer'] as const;

function timeoutProblems(props: Properties): Problem[] {
  const out: Problem[] = [];
  if (props.timeout !== undefined) {
    const ms = parseDurationMs(props.timeout);
    const bounds = ms === undefined ? undefined : durationBoundsProblem(ms, `timeout ${describe(props.timeout)}`, 'an approval timeout');
    if (ms === undefined) out.push({ field: 'timeout', message: `timeout ${describe(props.timeout)} is not a duration; use e.g. \`4h\`, \`2d\` or a number of ms` });
    else if (bounds !== undefined) out.push({ field: 'timeout', message: bounds });
  }
  if (props.onTimeout !== undefined) {
    if (!ON_TIMEOUT.includes(props.onTimeout as OnTimeout)) {
      out.push({ field: 'onTimeout', message: `onTimeout must be \`fail\` or \`pass\`, got ${describe(props.onTimeout)}` });
    } else if (props.timeout === undefined) {
      out.push({ field: 'onTimeout', message: 'onTimeout needs a timeout (e.g. `timeout: 4h`): without one the approval waits until the task times out and fails' });
    }
  }
  return out;
}

function problems(props: Properties): Problem[] {
  const modes = (['pass', 'warning'] as const)
    .filter((field) => props[field] !== undefined && !MODES.includes(props[field] as Mode))
    .map((field) => ({
      field,
      message: `${field} must be \`automatic\` or \`manual\` (missing means manual), got ${describe(props[field])}`,
    }));
  return [...modes, ...parseApprovalPolicy(props).problems, ...timeoutProblems(props)];
}

function timeoutOf(props: Properties): number | undefined {
  return props.timeout === undefined ? undefined : parseDurationMs(props.timeout);
}

function waiting(ctx: ExecutorContext): TaskOutcome {
  const props = ctx.task.properties;
  const timeout = timeoutOf(props);
  const parts = [`waiting for manual approval (result so far: ${ctx.run.resultSoFar ?? 'none'})`];
  if (hasPolicy(props)) parts.push(describePolicy(parseApprovalPolicy(props).policy));
  const until = timeout === undefined ? undefined : ctx.task.triggeredAt + timeout;
  if (until !== undefined) parts.push(`${(props.onTimeout as OnTimeout | undefined) === 'pass' ? 'passes' : 'fails'} without a decision at ${new Date(until).toISOString()}`);
  return { suspend: { waitingFor: 'approve|reject', message: parts.join('; '), ...(until !== undefined ? { until } : {}) } };
}

function decide(ctx: ExecutorContext): TaskOutcome {
  const props = ctx.task.properties;
  assertValid('approval', ctx.task.name, problems(props));
  const soFar = ctx.run.resultSoFar;
  if (soFar === 'fail') return { result: 'fail', message: 'a failed result is never approved' };
  const field = soFar === 'warning' ? 'warning' : 'pass';
  const mode = (props[field] as Mode | undefined) ?? 'manual';
  if (mode === 'automatic') {
    return { result: 'pass', message: `approved automatically (result so far: ${soFar ?? 'none'})` };
  }
  return waiting(ctx);
}

function names(value: unknown): string | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') ? value.join(', ') : undefined;
}

/** `approved by bob, carol: ship it`: the policy's approvers when the core sent them, else who answered. */
function approvedMessage(resumption: Resumption): string {
  const who = names(resumption.payload?.['approvers']);
  if (who === undefined) return `approved${attribution(resumption, 'comment')}`;
  const comment = resumption.payload?.['comment'];
  return `approved by ${who}${typeof comment === 'string' && comment !== '' ? `: ${comment}` : ''}`;
}

function rejectedMessage(resumption: Resumption): string {
  const by = resumption.payload?.['by'];
  // A rejection given ahead is handed over by Slipway: the payload names who gave it.
  const r = typeof by === 'string' ? { ...resumption, by: by.startsWith('token:') ? by.slice('token:'.length) : by } : resumption;
  return `rejected${attribution(r, 'comment')}`;
}

function timedOut(ctx: ExecutorContext): TaskOutcome {
  const props = ctx.task.properties;
  const timeout = timeoutOf(props);
  // A timer that fires early (clock skew between nodes) waits out the rest.
  if (timeout === undefined || ctx.now() < ctx.task.triggeredAt + timeout) return waiting(ctx);
  const after = `no approval decision within ${formatDurationMs(timeout)}`;
  return (props.onTimeout as OnTimeout | undefined) === 'pass'
    ? { result: 'pass', message: `${after}: passed (onTimeout: pass)` }
    : { result: 'fail', message: `${after}: failed (onTimeout: fail)` };
}

export function createApprovalExecutor(): Executor {
  return {
    kind: 'approval',
    validate: problems,
    // The task must outlive the approval's own timeout, so onTimeout decides, not the task timeout.
    defaultTimeoutMs: (props) => Math.max(WEEK, (timeoutOf(props) ?? 0) + HOUR),
    async execute(ctx): Promise<TaskOutcome> {
      return decide(ctx);
    },
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      switch (resumption.signal) {
        case 'approve':
          return { result: 'pass', message: approvedMessage(resumption) };
        case 'reject':
          return { result: 'fail', message: rejectedMessage(resumption) };
        case 'timer':
          return timedOut(ctx);
        default:
          throw unknownSignal('approval', ctx.task.name, resumption.signal, SIGNALS);
      }
    },
  };
}
