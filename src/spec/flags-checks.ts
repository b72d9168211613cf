/**
 * What slipway.yaml `spec.flags` refers to and what refers to it: a default among the
 * variants, `flag` tasks naming declared flags and variants; and the mapping to core types.
 */
import type { FlagSpec, FlagValue, SourceRef } from '../core/index.js';
import type { SlipwayFlags } from './flags-schema.js';
import { list, problem } from './problems.js';
import type { Path, Problem } from './problems.js';
import type { SlipwayFile } from './slipway-schema.js';
import { stepsOf } from './slipway-walk.js';

type Flags = SlipwayFlags;

export function flagProblems(file: SlipwayFile): Problem[] {
  const flags: Flags = file.spec.flags ?? {};
  const out: Problem[] = [];
  for (const [key, f] of Object.entries(flags)) {
    if (!Object.hasOwn(f.variants, f.default)) {
      out.push(problem('SPEC_REFERENCE', ['spec', 'flags', key, 'default'], `default '${f.default}' of flag '${key}' is not among its variants; variants: ${list(Object.keys(f.variants))}`));
    }
  }
  file.spec.stages.forEach((stage, i) => {
    for (const step of stepsOf(stage, ['spec', 'stages', i])) {
      for (const { task, path } of step) if (task.kind === 'flag') out.push(...taskProblems(flags, task.name, task.properties, [...path, 'properties']));
    }
  });
  return out;
}

/** A flag task's `flag`, `variant` and rule variants must be declared; the executor checks the rest. */
function taskProblems(flags: Flags, taskName: string, props: Readonly<Record<string, unknown>>, at: Path): Problem[] {
  const key = props['flag'];
  if (typeof key !== 'string') return []; // the executor's check says it is missing
  const f = Object.hasOwn(flags, key) ? flags[key] : undefined;
  if (!f) return [problem('SPEC_REFERENCE', [...at, 'flag'], `flag task '${taskName}' names flag '${key}', which spec.flags does not declare; declared flags: ${list(Object.keys(flags))}`)];
  const out: Problem[] = [];
  const unknown = (v: unknown) => typeof v === 'string' && !Object.hasOwn(f.variants, v);
  if (unknown(props['variant'])) {
    out.push(problem('SPEC_REFERENCE', [...at, 'variant'], `flag task '${taskName}' names variant '${String(props['variant'])}' of flag '${key}', which it does not have; variants: ${list(Object.keys(f.variants))}`));
  }
  const rules = Array.isArray(props['rules']) ? (props['rules'] as unknown[]) : [];
  rules.forEach((r, j) => {
    const v = typeof r === 'object' && r !== null ? (r as Record<string, unknown>)['variant'] : undefined;
    if (unknown(v)) out.push(problem('SPEC_REFERENCE', [...at, 'rules', j, 'variant'], `rule ${j + 1} of flag task '${taskName}' names variant '${String(v)}' of flag '${key}', which it does not have; variants: ${list(Object.keys(f.variants))}`));
  });
  return out;
}

export function mapFlags(flags: Flags, ref: (path: Path) => SourceRef): Record<string, FlagSpec> {
  return Object.fromEntries(Object.entries(flags).map(([key, f]) => [key, { variants: f.variants as Record<string, FlagValue>, default: f.default, source: ref(['spec', 'flags', key]) }]));
}
