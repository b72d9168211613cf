/**
 * Keptn `slo.yaml` → the typed SLO that src/evaluation scores, with errors that name
 * file:line:col and the field (a bad criterion points at the very list item).
 */
import { sloSchema } from '../evaluation/index.js';
import type { Slo } from '../evaluation/index.js';
import { loadWithSchema, fileLoader } from './schema-file.js';

export function loadKeptnSlo(text: string, file: string): Slo {
  return loadWithSchema(sloSchema, text, file);
}

/** The file's SLO, parsed once per text (schema-file.ts); the value is frozen. */
export const loadKeptnSloFile: (path: string) => Slo = fileLoader('SLO file', loadKeptnSlo);
