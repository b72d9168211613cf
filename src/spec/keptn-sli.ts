/**
 * Keptn `sli.yaml` (spec_version '1.0', `indicators`: SLI name → query) → the typed SLI file the
 * Prometheus provider reads, with errors that name file:line:col and the field.
 */
import { readFileSync } from 'node:fs';
import { SlipwayError } from '../core/index.js';
import { sliSchema } from '../evaluation/index.js';
import type { SliFile } from '../evaluation/index.js';
import { throwProblems } from './report.js';
import { parseSource } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

export function loadKeptnSli(text: string, file: string): SliFile {
  const { source, problems } = parseSource(text, file);
  if (problems.length > 0) throwProblems(source, problems);
  const parsed = sliSchema.safeParse(source.value, { error: errorMap, reportInput: true });
  if (!parsed.success) throwProblems(source, issuesToProblems(parsed.error.issues));
  return parsed.data;
}

export function loadKeptnSliFile(path: string): SliFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('SPEC_FILE', `${path}: cannot read the SLI file: ${reason}`, { file: path }, { cause: e });
  }
  return loadKeptnSli(text, path);
}
