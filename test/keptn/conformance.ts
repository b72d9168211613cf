/** Keptn's events as the conformance files hold them, and a field-by-field comparison with ours. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

// The repository's verbatim copy (test/conformance/README.md): a clean clone has no ../shared.
const CONFORMANCE = join(import.meta.dirname, '../conformance/keptn/events');

export const conformance = (name: string) => JSON.parse(readFileSync(join(CONFORMANCE, `${name}.json`), 'utf8')) as Record<string, unknown> & { data: Record<string, unknown> };

/** Every attribute and data field of Keptn's event is in ours, with a value of the same JSON type (`skip`: paths like `$.data.x`). */
export function expectShapeOf(ours: unknown, theirs: unknown, path: string, skip: ReadonlySet<string> = new Set()): void {
  if (theirs === null || theirs === undefined) return; // null in a trace: no value to compare
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  expect(kind(ours), `${path}: ${JSON.stringify(ours)} vs Keptn's ${JSON.stringify(theirs)}`).toBe(kind(theirs));
  if (kind(theirs) !== 'object') return;
  for (const [k, v] of Object.entries(theirs as Record<string, unknown>)) {
    if (skip.has(`${path}.${k}`) || v === null) continue;
    expect(ours as Record<string, unknown>, `${path} lacks '${k}'`).toHaveProperty([k]);
    expectShapeOf((ours as Record<string, unknown>)[k], v, `${path}.${k}`, skip);
  }
}
