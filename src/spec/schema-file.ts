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

/** The file's text; `what` names it in the error ("SLO file"). */
export function readSpecText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('SPEC_FILE', `${path}: cannot read the ${what}: ${reason}`, { file: path }, { cause: e });
  }
}
