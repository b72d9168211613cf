/**
 * A YAML file checked against a zod schema (Keptn's slo.yaml and sli.yaml), with errors that
 * name file:line:col and the field, and a read error that names the file and what it is.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { SlipwayError } from '../core/index.js';
import { throwProblems } from './report.js';
import { parseSource } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

export function loadWithSchema<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  const { source, problems } = parseSource(text, file);
  if (problems.length > 0) throwProblems(source, problems);
  const parsed = schema.safeParse(source.value, { error: errorMap, reportInput: true });
  if (!parsed.success) throwProblems(source, issuesToProblems(parsed.error.issues));
  return parsed.data as z.output<S>;
}

/** Files kept parsed per loader, by path; a file whose text changed is parsed again. */
const MAX_KEPT = 256;

/**
 * `load(text, path)` of the file at `path`, parsed once per text: every evaluation task reads
 * its slo.yaml, and parsing it (YAML, then the schema) cost more than scoring it. The file is
 * still read each time, so an edit counts at once; the value is frozen, as it is shared.
 */
export function fileLoader<T>(what: string, load: (text: string, file: string) => T): (path: string) => T {
  const kept = new Map<string, { text: string; value: T }>();
  return (path) => {
    const text = readSpecText(path, what);
    const hit = kept.get(path);
    if (hit?.text === text) return hit.value;
    const value = deepFreeze(load(text, path));
    kept.delete(path);
    if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
    kept.set(path, { text, value });
    return value;
  };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** The file's text; `what` names it in the error ("SLO file"). */
export function readSpecText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('SPEC_FILE', `${path}: cannot read the ${what}: ${reason}`, { file: path }, { cause: e });
  }
}
