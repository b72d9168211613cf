/** slipway.yaml: validate, check, map. */
import type { Pipeline } from '../core/index.js';
import { misplacedExpands } from '../core/index.js';
import { checkKinds } from './kinds.js';
import type { KindCatalog, PlacedKind } from './kinds.js';
import { problem } from './problems.js';
import { throwProblems, warningAt } from './report.js';
import { checkSlipway } from './slipway-checks.js';
import { mapSlipway } from './slipway-map.js';
import { slipwaySchema } from './slipway-schema.js';
import type { SlipwayFile } from './slipway-schema.js';
import { stepsOf } from './slipway-walk.js';
import type { Source } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

/** `kinds`: what this process serves; absent, task kinds and properties are not checked. */
export function loadSlipway(source: Source, version: string, kinds?: KindCatalog): { pipeline: Pipeline; warnings: string[] } {
  const parsed = slipwaySchema.safeParse(source.value, { error: errorMap, reportInput: true });
  if (!parsed.success) throwProblems(source, issuesToProblems(parsed.error.issues));
  const problems = checkSlipway(parsed.data);
  problems.push(...expandOrder(parsed.data));
  const warnings: string[] = [];
  if (kinds) {
    const declared = { kinds: parsed.data.spec.outsideKinds ?? [], path: ['spec', 'outsideKinds'] };
    const checked = checkKinds(placedTasks(parsed.data), kinds, declared);
    problems.push(...checked.problems);
    warnings.push(...checked.notes.map((n) => warningAt(source, n.path, n.message)));
  }
  if (problems.length > 0) throwProblems(source, problems);
  return { pipeline: mapSlipway(parsed.data, source, version), warnings };
}

/** An expand after (or beside) the deploy would let the new version meet the old schema (docs/migrations.md). */
function expandOrder(file: SlipwayFile) {
  return file.spec.stages.flatMap((stage, i) => {
    const steps = stepsOf(stage, ['spec', 'stages', i]);
    return misplacedExpands(steps.map((s) => s.map((p) => p.task))).map((m) => problem('SPEC_FIELD', steps[m.step]![m.index]!.path, m.message));
  });
}

function placedTasks(file: SlipwayFile): PlacedKind[] {
  return file.spec.stages.flatMap((stage, i) =>
    stepsOf(stage, ['spec', 'stages', i]).flatMap((step) => step.map(({ task, path, propertiesPath }) => ({ name: task.name, kind: task.kind, properties: task.properties, path, ...(propertiesPath ? { propertiesPath } : {}) }))),
  );
}
