/**
 * A gate's `stage` signals name a stage of the same pipeline: checked at load, because a name
 * that matches nothing has no failed runs, so a typo would let every release through.
 */
import { list, problem } from './problems.js';
import type { Problem } from './problems.js';
import type { SlipwayStage } from './slipway-schema.js';
import { stepsOf } from './slipway-walk.js';

function objectAt(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

export function checkGateStages(stages: readonly SlipwayStage[]): Problem[] {
  const defined = stages.map((s) => s.name);
  return stages.flatMap((stage, i) =>
    stepsOf(stage, ['spec', 'stages', i])
      .flat()
      .filter(({ task }) => task.kind === 'gate')
      .flatMap(({ task, path, propertiesPath }) => {
        const signals = task.properties.signals;
        if (!Array.isArray(signals)) return [];
        return signals.flatMap((signal: unknown, j) => {
          const name = objectAt(objectAt(signal, 'stage'), 'name');
          if (typeof name !== 'string' || defined.includes(name)) return [];
          const at = [...(propertiesPath ?? [...path, 'properties']), 'signals', j, 'stage', 'name'];
          return [problem('SPEC_REFERENCE', at, `gate '${task.name}' reads stage '${name}', which is not defined; defined stages: ${list(defined)}`)];
        });
      }),
  );
}
