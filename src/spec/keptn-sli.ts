/**
 * Keptn `sli.yaml` (spec_version '1.0', `indicators`: SLI name → query) → the typed SLI file the
 * Prometheus provider reads, with errors that name file:line:col and the field.
 */
import { sliSchema } from '../evaluation/index.js';
import type { SliFile } from '../evaluation/index.js';
import { loadWithSchema, fileLoader } from './schema-file.js';

export function loadKeptnSli(text: string, file: string): SliFile {
  return loadWithSchema(sliSchema, text, file);
}

/** The file's SLI, parsed once per text (schema-file.ts); the value is frozen. */
export const loadKeptnSliFile: (path: string) => SliFile = fileLoader('SLI file', loadKeptnSli);
