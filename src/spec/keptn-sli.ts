/**
 * Keptn `sli.yaml` (spec_version '1.0', `indicators`: SLI name → query) → the typed SLI file the
 * Prometheus provider reads, with errors that name file:line:col and the field.
 */
import { sliSchema } from '../evaluation/index.js';
import type { SliFile } from '../evaluation/index.js';
import { loadWithSchema, readSpecText } from './schema-file.js';

export function loadKeptnSli(text: string, file: string): SliFile {
  return loadWithSchema(sliSchema, text, file);
}

export function loadKeptnSliFile(path: string): SliFile {
  return loadKeptnSli(readSpecText(path, 'SLI file'), path);
}
