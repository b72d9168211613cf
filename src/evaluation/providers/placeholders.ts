/**
 * Keptn's query placeholders, replaced as the prometheus-service does: `$PROJECT`, `$STAGE`,
 * `$SERVICE`, `$DEPLOYMENT`, `$LABEL.<name>`, and `$DURATION_SECONDS` as a PromQL duration
 * (`600s`, the window's length in whole seconds). Values go in verbatim, as in Keptn.
 */
import type { SliQuery } from './types.js';

export function fillPlaceholders(query: string, q: SliQuery): string {
  let out = query;
  // Longest label names first, so `$LABEL.region_name` is not cut by a label called `region`.
  for (const [name, value] of Object.entries(q.labels).sort(([a], [b]) => b.length - a.length)) out = out.split(`$LABEL.${name}`).join(value);
  const seconds = Math.max(1, Math.round((q.end - q.start) / 1000));
  return out
    .split('$PROJECT').join(q.project)
    .split('$STAGE').join(q.stage)
    .split('$SERVICE').join(q.service)
    .split('$DEPLOYMENT').join(q.deployment)
    .split('$DURATION_SECONDS').join(`${seconds}s`);
}

/** Placeholders still in a filled query (a `$LABEL.x` nobody gave): the query cannot be asked. */
export function unfilled(query: string): string[] {
  return [...new Set(query.match(/\$LABEL\.[A-Za-z0-9_.-]+/g) ?? [])];
}
