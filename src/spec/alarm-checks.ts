/**
 * Rules about a stage's alarms that the schema cannot express: unique alarm names, `watch`
 * needs alarms to watch, and `requireNoAlarms` names an earlier stage that declares alarms.
 */
import { duplicates, list, problem } from './problems.js';
import type { Problem } from './problems.js';
import type { SlipwayStage } from './slipway-schema.js';
import { afterOf, stepsOf } from './slipway-walk.js';

/** The implicit first task of a stage with requireNoAlarms (see slipway-map.ts). */
const NO_ALARMS_TASK = 'upstream-alarms';

export function checkAlarms(stages: readonly SlipwayStage[]): Problem[] {
  return stages.flatMap((stage, i) => {
    const path = ['spec', 'stages', i];
    const out = duplicates((stage.alarms ?? []).map((a, j) => ({ name: a.name, path: [...path, 'alarms', j, 'name'] })), 'alarm', `stage '${stage.name}'`);
    if (stage.watch && !stage.alarms?.length) {
      out.push(problem('SPEC_FIELD', [...path, 'watch'], `stage '${stage.name}' has watch but no alarms to watch; declare alarms: [{name, prometheus: URL, labels: {...}}] on the stage`, true));
    }
    const rule = stage.requireNoAlarms;
    if (rule) out.push(...checkRule(stages, i, rule.stage));
    if (rule) {
      for (const step of stepsOf(stage, path)) {
        for (const { task, path: at } of step) {
          if (task.name === NO_ALARMS_TASK) out.push(problem('SPEC_FIELD', [...at, 'name'], `task name '${NO_ALARMS_TASK}' is taken by the check requireNoAlarms adds to stage '${stage.name}'; rename the task`));
        }
      }
    }
    return out;
  });
}

function checkRule(stages: readonly SlipwayStage[], i: number, named: string): Problem[] {
  const stage = stages[i]!;
  const path = ['spec', 'stages', i, 'requireNoAlarms', 'stage'];
  const upstream = ancestors(stages, i);
  const target = stages.find((s) => s.name === named);
  if (!target) return [problem('SPEC_REFERENCE', path, `stage '${named}' is not defined; defined stages: ${list(stages.map((s) => s.name))}`)];
  if (!upstream.has(named)) {
    return [problem('SPEC_REFERENCE', path, `stage '${named}' is not before stage '${stage.name}'; requireNoAlarms names an earlier stage: ${list([...upstream])}`)];
  }
  if (!target.alarms?.length) return [problem('SPEC_REFERENCE', path, `stage '${named}' declares no alarms; add alarms: [{name, prometheus: URL, labels: {...}}] to stage '${named}'`)];
  return [];
}

/** Every stage a release passes before stage `i` (its `after`, transitively). */
function ancestors(stages: readonly SlipwayStage[], i: number): Set<string> {
  const index = new Map(stages.map((s, k) => [s.name, k]));
  const seen = new Set<string>();
  const visit = (k: number): void => {
    for (const up of afterOf(stages, k)) {
      const j = index.get(up);
      if (seen.has(up) || j === undefined) continue;
      seen.add(up);
      visit(j);
    }
  };
  visit(i);
  return seen;
}
