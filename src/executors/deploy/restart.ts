/**
 * `restart`: a post-release hook that starts a service's processes again in this stage
 * (a new process is healthy before the old one is retired), e.g. so a dependent service
 * picks up a schema change. `properties.service` names it; default: the run's services.
 */
import type { Executor, TaskOutcome } from '../../engine/executor.js';
import { NonRetryableTaskError } from '../../engine/executor.js';
import type { Targets } from './deploy.js';
import { targetOf } from './deploy.js';

export function createRestartExecutor(targets: Targets): Executor {
  return {
    kind: 'restart',
    validate: (p) =>
      p['service'] !== undefined && typeof p['service'] !== 'string' ? [{ field: 'service', message: 'service is the name of a service in this stage' }] : [],
    async execute(ctx): Promise<TaskOutcome> {
      const target = targetOf(targets, typeof ctx.task.properties['target'] === 'string' ? ctx.task.properties['target'] : 'local');
      if (!target.restart) throw new NonRetryableTaskError(`deploy target '${target.name}' does not start processes; it cannot restart them`);
      const named = ctx.task.properties['service'];
      const services = typeof named === 'string' ? [named] : Object.keys(ctx.run.artifacts).sort();
      const done: string[] = [];
      for (const service of services) {
        const slots = await target.restart({ project: ctx.run.project, stage: ctx.run.stage, service });
        done.push(...slots.map((s) => `${service}/${s}`));
      }
      if (done.length === 0) return { result: 'fail', message: `nothing of ${services.join(', ')} runs in stage '${ctx.run.stage}' to restart` };
      return { result: 'pass', message: `restarted ${done.join(', ')}` };
    },
  };
}
