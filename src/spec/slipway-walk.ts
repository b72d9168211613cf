/** How a validated slipway.yaml stage reads: its steps, its tasks' paths, its upstream stages. */
import type { Path } from './problems.js';
import type { SlipwayStage, SlipwayTask } from './slipway-schema.js';

export interface PlacedTask {
  task: SlipwayTask;
  /** Field path of the task, for positions and messages. */
  path: Path;
}

/** One step per `tasks:` item: a task alone, or every task of a `parallel:` group. */
export function stepsOf(stage: SlipwayStage, stagePath: Path): PlacedTask[][] {
  return stage.tasks.map((item, i) =>
    'parallel' in item
      ? item.parallel.map((task, j) => ({ task, path: [...stagePath, 'tasks', i, 'parallel', j] }))
      : [{ task: item, path: [...stagePath, 'tasks', i] }],
  );
}

/** `after` as written, or the stage declared just above (none for the first). */
export function afterOf(stages: readonly SlipwayStage[], index: number): string[] {
  const stage = stages[index];
  if (stage?.after) return stage.after;
  const above = stages[index - 1];
  return above ? [above.name] : [];
}
