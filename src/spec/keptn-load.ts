/**
 * Keptn shipyards: validate, map. Keys Keptn itself ignores are warnings here rather than
 * errors, so a shipyard that works in Keptn loads.
 */
import type { z } from 'zod';
import type { Pipeline } from '../core/index.js';
import { mapKeptn } from './keptn-map.js';
import { keptnBuiltinMap, keptnTaskKind } from './keptn-project.js';
import type { KeptnProjectOptions } from './keptn-project.js';
import { keptnSchema } from './keptn-schema.js';
import type { KeptnFile } from './keptn-schema.js';
import { checkKinds } from './kinds.js';
import type { KindCatalog, PlacedKind } from './kinds.js';
import { problem } from './problems.js';
import type { Problem } from './problems.js';
import { throwProblems, warningAt } from './report.js';
import type { Source } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

type Issue = z.core.$ZodIssue;

/** What a shipyard alone cannot say: slipway.keptn.yaml, and a project name given on the command line. */
export interface KeptnLoadOptions {
  project?: KeptnProjectOptions;
  /** Names the project where the shipyard's metadata.name differs (`--project sockshop`); wins over the file's. */
  name?: string;
}

/** `kinds`: what this process serves, to check the properties of the tasks it runs; Keptn allows any kind. */
export function loadKeptn(source: Source, version: string, kinds?: KindCatalog, keptn: KeptnLoadOptions = {}): { pipeline: Pipeline; warnings: string[] } {
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
  const builtin = keptnBuiltinMap(keptn.project);
  const kindOf = (task: string) => keptnTaskKind(task, builtin, new Set(kinds?.builtins ?? []));
  const checked = kinds ? checkKinds(placedTasks(parsed.data, kindOf), kinds, 'any') : { problems: [], notes: [] };
  const unserved = kinds ? mappedButUnserved(keptn.project?.builtin ?? {}, kinds) : [];
  const problems = [...mapped.problems, ...checked.problems, ...unserved];
  if (problems.length > 0) throwProblems(source, problems);
  warnings.push(...[...mapped.notes, ...checked.notes].map((n) => warningAt(source, n.path, n.message)));
  const name = keptn.name ?? keptn.project?.project ?? mapped.pipeline.name;
  const loops = keptn.project?.maxRemediationLoops;
  return { pipeline: withKinds({ ...mapped.pipeline, name, ...(loops !== undefined ? { maxRemediationLoops: loops } : {}) }, kindOf), warnings };
}

/** A task mapped to a built-in kind this process does not serve would wait forever: say so at load. */
function mappedButUnserved(builtin: Readonly<Record<string, string>>, kinds: KindCatalog): Problem[] {
  return Object.entries(builtin)
    .filter(([, kind]) => !kinds.served.has(kind))
    .map(([task, kind]) =>
      problem(
        'SPEC_REFERENCE',
        [],
        `slipway.keptn.yaml maps Keptn task '${task}' to the built-in kind '${kind}', which no executor here serves; built-in kinds: ${[...kinds.served.keys()].sort().join(', ')}`,
      ),
    );
}

/** Each task's kind as this process routes it (see keptnTaskKind); its name stays Keptn's. */
function withKinds(pipeline: Pipeline, kindOf: (task: string) => string): Pipeline {
  const stages = pipeline.stages.map((st) => ({
    ...st,
    sequences: st.sequences.map((seq) => ({
      ...seq,
      steps: seq.steps.map((step) => ({ ...step, tasks: step.tasks.map((t) => ({ ...t, kind: kindOf(t.name) })) })),
    })),
  }));
  return { ...pipeline, stages };
}

function placedTasks(file: KeptnFile, kindOf: (task: string) => string): PlacedKind[] {
  return file.spec.stages.flatMap((stage, i) =>
    (stage.sequences ?? []).flatMap((seq, j) =>
      seq.tasks.map((t, k) => ({ name: t.name, kind: kindOf(t.name), properties: t.properties ?? {}, path: ['spec', 'stages', i, 'sequences', j, 'tasks', k] })),
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
