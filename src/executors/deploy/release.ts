/**
 * `release`: switches all traffic to the slot where this run's release is staged (after a
 * blue-green or dark deploy), in one step. The previous slot stays warm for `keepPrevious`
 * (default 10m), so switching back is instant, then it is retired. With nothing staged
 * for the release it passes and says so.
 */
import type { Executor, ExecutorContext, TaskOutcome } from '../../engine/executor.js';
import { MAX_DURATION_MS, parseDurationMs } from '../duration.js';
import { assertValid, describe } from '../properties.js';
import type { Problem, Properties } from '../properties.js';
import type { Targets } from './deploy.js';
import { keysOf, targetOf } from './deploy.js';

function problems(props: Properties): Problem[] {
  if (props['keepPrevious'] === undefined) return [];
  const ms = parseDurationMs(props['keepPrevious']);
  if (ms === undefined) return [{ field: 'keepPrevious', message: `keepPrevious is a duration such as 10m, got ${describe(props['keepPrevious'])}` }];
  if (ms > MAX_DURATION_MS) return [{ field: 'keepPrevious', message: `keepPrevious ${describe(props['keepPrevious'])} is longer than one year; it lasts 0 (retire at once) to 365d` }];
  return [];
}

export function createReleaseExecutor(targets: Targets): Executor {
  return {
    kind: 'release',
    validate: problems,
    async execute(ctx: ExecutorContext): Promise<TaskOutcome> {
      assertValid('release', ctx.task.name, problems(ctx.task.properties));
      const target = targetOf(targets, typeof ctx.task.properties['target'] === 'string' ? ctx.task.properties['target'] : 'local');
      const keep = parseDurationMs(ctx.task.properties['keepPrevious'] ?? '10m')!;
      const switched: string[] = [];
      for (const key of keysOf(ctx)) {
        const status = await target.status(key);
        const staged = status?.slots.find((s) => s.releaseId === ctx.run.releaseId && s.state === 'ready');
        if (!staged) continue;
        const previous = status!.slots.find((s) => s.slot !== staged.slot && s.weight > 0);
        await target.setWeights(key, { [staged.slot]: 100 });
        if (previous) await target.retire(key, previous.slot, keep);
        switched.push(`${key.service} → ${staged.slot}`);
      }
      if (switched.length === 0) return { result: 'pass', message: `nothing of release ${ctx.run.releaseId} is staged here; no traffic changed` };
      return { result: 'pass', message: `switched ${switched.join(', ')}`, output: { traffic: true, switched } };
    },
  };
}
