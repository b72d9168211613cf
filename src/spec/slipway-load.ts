/** slipway.yaml: validate, check, map. */
import type { Pipeline } from '../core/index.js';
import { throwProblems } from './report.js';
import { checkSlipway } from './slipway-checks.js';
import { mapSlipway } from './slipway-map.js';
import { slipwaySchema } from './slipway-schema.js';
import type { Source } from './source.js';
import { errorMap, issuesToProblems } from './zod-issues.js';

export function loadSlipway(source: Source, version: string): { pipeline: Pipeline; warnings: string[] } {
  const parsed = slipwaySchema.safeParse(source.value, { error: errorMap, reportInput: true });
  if (!parsed.success) throwProblems(source, issuesToProblems(parsed.error.issues));
  const problems = checkSlipway(parsed.data);
  if (problems.length > 0) throwProblems(source, problems);
  return { pipeline: mapSlipway(parsed.data, source, version), warnings: [] };
}
