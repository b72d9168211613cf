/**
 * `approval` with Keptn's semantics: `pass` and `warning` each take `automatic` or `manual`
 * (missing means manual) and choose what happens for the run's result so far; a failed
 * result is never approved. Manual approval suspends until `approve` or `reject`.
 */
import type { Executor, ExecutorContext, Resumption, TaskOutcome } from '../engine/executor.js';
import { assertValid, describe, type Problem, type Properties } from './properties.js';
import { attribution, unknownSignal } from './signals.js';

const WEEK = 7 * 24 * 3_600_000;
const MODES = ['automatic', 'manual'] as const;
type Mode = (typeof MODES)[number];
const SIGNALS = ['approve', 'reject'] as const;

function problems(props: Properties): Problem[] {
  return (['pass', 'warning'] as const)
    .filter((field) => props[field] !== undefined && !MODES.includes(props[field] as Mode))
    .map((field) => ({
      field,
      message: `${field} must be \`automatic\` or \`manual\` (missing means manual), got ${describe(props[field])}`,
    }));
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
  return {
    suspend: { waitingFor: 'approve|reject', message: `waiting for manual approval (result so far: ${soFar ?? 'none'})` },
  };
}

export function createApprovalExecutor(): Executor {
  return {
    kind: 'approval',
    validate: problems,
    defaultTimeoutMs: () => WEEK,
    async execute(ctx): Promise<TaskOutcome> {
      return decide(ctx);
    },
    async resume(ctx, resumption: Resumption): Promise<TaskOutcome> {
      switch (resumption.signal) {
        case 'approve':
          return { result: 'pass', message: `approved${attribution(resumption, 'comment')}` };
        case 'reject':
          return { result: 'fail', message: `rejected${attribution(resumption, 'comment')}` };
        default:
          throw unknownSignal('approval', ctx.task.name, resumption.signal, SIGNALS);
      }
    },
  };
}
