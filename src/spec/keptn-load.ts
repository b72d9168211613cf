/**
 * Keptn shipyards: validate, map. Keys Keptn itself ignores are warnings here rather than
 * errors, so a shipyard that works in Keptn loads.
 */
import type { z } from 'zod';
import type { Pipeline } from '../core/index.js';
import { mapKeptn } from './keptn-map.js';
import { keptnSchema } from './keptn-schema.js';
import type { KeptnFile } from './keptn-schema.js';
import { checkKinds } from './kinds.js';
import type { KindCatalog, PlacedKind } from './kinds.js';
import { throwProblems, warningAt } from './report.js';
import type { Source } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

type Issue = z.core.$ZodIssue;

/** `kinds`: what this process serves, to check the properties of the tasks it runs; Keptn allows any kind. */
export function loadKeptn(source: Source, version: string, kinds?: KindCatalog): { pipeline: Pipeline; warnings: string[] } {
  const options = { error: errorMap, reportInput: true };
  let parsed = keptnSchema.safeParse(source.value, options);
  const warnings: string[] = [];
  if (!parsed.success) {
    const unknown = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
    const others = parsed.error.issues.filter((i) => i.code !== 'unrecognized_keys');
    if (others.length > 0) throwProblems(source, issuesToProblems(others));
    warnings.push(...issuesToProblems(unknown).map((p) => warningAt(source, p.path, `${p.message}; ignored`, true)));
    parsed = keptnSchema.safeParse(withoutKeys(source.value, unknown), options);
    if (!parsed.success) throwProblems(source, issuesToProblems(parsed.error.issues));
  }
  const mapped = mapKeptn(parsed.data, source, version);
  const checked = kinds ? checkKinds(placedTasks(parsed.data), kinds, 'any') : { problems: [], notes: [] };
  const problems = [...mapped.problems, ...checked.problems];
  if (problems.length > 0) throwProblems(source, problems);
  warnings.push(...[...mapped.notes, ...checked.notes].map((n) => warningAt(source, n.path, n.message)));
  return { pipeline: mapped.pipeline, warnings };
}

function placedTasks(file: KeptnFile): PlacedKind[] {
  return file.spec.stages.flatMap((stage, i) =>
    (stage.sequences ?? []).flatMap((seq, j) =>
      seq.tasks.map((t, k) => ({ name: t.name, kind: t.name, properties: t.properties ?? {}, path: ['spec', 'stages', i, 'sequences', j, 'tasks', k] })),
    ),
  );
}

function withoutKeys(value: unknown, issues: readonly Issue[]): unknown {
  const copy: unknown = structuredClone(value);
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    let target: unknown = copy;
    for (const seg of issue.path) target = (target as Record<PropertyKey, unknown> | undefined)?.[seg];
    if (target && typeof target === 'object') for (const key of issue.keys) delete (target as Record<string, unknown>)[key];
  }
  return copy;
}
