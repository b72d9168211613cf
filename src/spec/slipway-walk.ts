/** How a validated slipway.yaml stage reads: its steps, its tasks' paths, its upstream stages. */
import type { Path } from './problems.js';
import type { SlipwayStage, SlipwayTask } from './slipway-schema.js';

export interface PlacedTask {
  task: SlipwayTask;
  /** Field path of the task, for positions and messages. */
  path: Path;
  /** Where its properties were written, when not at `path.properties` (a stage's `gates:`). */
  propertiesPath?: Path;
}

/** The tasks a stage's `gates: {entry, exit}` become: first and last in its sequence. */
export const GATE_TASKS = { entry: 'entry-gate', exit: 'exit-gate' } as const;

function gateStep(stage: SlipwayStage, stagePath: Path, which: keyof typeof GATE_TASKS): PlacedTask[][] {
  const properties = stage.gates?.[which];
  if (properties === undefined) return [];
  const path = [...stagePath, 'gates', which];
  const task: SlipwayTask = { name: GATE_TASKS[which], kind: 'gate', properties, retries: 0, continueOnFailure: false, if: 'success' };
  return [[{ task, path, propertiesPath: path }]];
}

/**
 * One step per `tasks:` item: a task alone, or every task of a `parallel:` group; a stage's
 * entry gate comes before them and its exit gate after them, each a step of its own.
 */
export function stepsOf(stage: SlipwayStage, stagePath: Path): PlacedTask[][] {
  const tasks = stage.tasks.map((item, i) =>
    'parallel' in item
      ? item.parallel.map((task, j) => ({ task, path: [...stagePath, 'tasks', i, 'parallel', j] }))
      : [{ task: item, path: [...stagePath, 'tasks', i] }],
  );
  return [...gateStep(stage, stagePath, 'entry'), ...tasks, ...gateStep(stage, stagePath, 'exit')];
}

/** `after` as written, or the stage declared just above (none for the first). */
export function afterOf(stages: readonly SlipwayStage[], index: number): string[] {
  const stage = stages[index];
  if (stage?.after) return stage.after;
  const above = stages[index - 1];
  return above ? [above.name] : [];
}
