/**
 * `noop`: finishes at once. Benchmarks and engine tests use it to measure the engine alone.
 * `properties.result` (pass | warning | fail, default pass) and `message` let a test script
 * an outcome without a process.
 */
import { Results, type Result } from '../core/index.js';
import type { Executor, TaskOutcome } from '../engine/executor.js';
import { assertValid, describe, type Problem, type Properties } from './properties.js';

function problems(props: Properties): Problem[] {
  const out: Problem[] = [];
  if (props.result !== undefined && !Results.includes(props.result as Result)) {
    out.push({ field: 'result', message: `result must be one of ${Results.join(', ')}, got ${describe(props.result)}` });
  }
  if (props.message !== undefined && typeof props.message !== 'string') {
    out.push({ field: 'message', message: `message must be a string, got ${describe(props.message)}` });
  }
  return out;
}

export function createNoopExecutor(): Executor {
  return {
    kind: 'noop',
    validate: problems,
    async execute(ctx): Promise<TaskOutcome> {
      const props = ctx.task.properties;
      assertValid('noop', ctx.task.name, problems(props));
      const result = (props.result as Result | undefined) ?? 'pass';
      const message = props.message as string | undefined;
      return message === undefined ? { result } : { result, message };
    },
  };
}
