/** Finds the run and task a task id names, or answers UNKNOWN_TASK (the core ignores unknown tasks silently). */
import type { Run, TaskRun } from '../../core/index.js';
import { SlipwayError, parseTaskId } from '../../core/index.js';
import type { Slipway } from '../../main.js';

export async function requireTask(slipway: Slipway, taskId: string, field = 'taskId'): Promise<{ run: Run; task: TaskRun }> {
  const parsed = parseTaskId(taskId);
  if (!parsed) throw new SlipwayError('INVALID_INPUT', `'${taskId}' is not a task id; task ids look like <runId>.<task>.<attempt>`, { field });
  const run = slipway.engine.view.runs.get(parsed.runId) ?? (await slipway.store.getRun(parsed.runId));
  const task = run?.tasks.find((t) => t.name === parsed.task);
  if (!run || !task || parsed.attempt < 1 || parsed.attempt > task.attempt) {
    throw new SlipwayError('UNKNOWN_TASK', `task '${taskId}' does not exist`, { field });
  }
  return { run, task };
}
