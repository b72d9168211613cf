/**
 * Keptn `slo.yaml` → the typed SLO that src/evaluation scores, with errors that name
 * file:line:col and the field (a bad criterion points at the very list item).
 */
import { readFileSync } from 'node:fs';
import { SlipwayError } from '../core/index.js';
import { sloSchema } from '../evaluation/index.js';
import type { Slo } from '../evaluation/index.js';
import { throwProblems } from './report.js';
import { parseSource } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

export function loadKeptnSlo(text: string, file: string): Slo {
  const { source, problems } = parseSource(text, file);
  if (problems.length > 0) throwProblems(source, problems);
  const parsed = sloSchema.safeParse(source.value, { error: errorMap, reportInput: true });
  if (!parsed.success) throwProblems(source, issuesToProblems(parsed.error.issues));
  return parsed.data;
}

export function loadKeptnSloFile(path: string): Slo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('SPEC_FILE', `${path}: cannot read the SLO file: ${reason}`, { file: path }, { cause: e });
  }
  return loadKeptnSlo(text, path);
}
