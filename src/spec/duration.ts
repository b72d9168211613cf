/**
 * Go-style durations (`500ms`, `30s`, `5m`, `1h30m`), as Keptn's `triggeredAfter` uses them,
 * plus `d` for days because soak times and freezes are often counted in days.
 */
import { SlipwayError } from '../core/index.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5, as Go accepts it
  'μs': 1e-3, // U+03BC
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const UNIT = '(?:ns|us|µs|μs|ms|s|m|h|d)';

/** The whole-string pattern, shared with the JSON Schema so editors flag bad values too. */
export const DURATION_PATTERN = `^(?:0|(?:${NUMBER}${UNIT})+)$`;

const WHOLE = new RegExp(DURATION_PATTERN);
const PART = new RegExp(`(${NUMBER})(${UNIT})`, 'g');

export const DURATION_HINT = 'use a number and a unit (ms, s, m, h, d), e.g. 500ms, 30s, 5m, 1h30m, 2h, 1d';

export function isDuration(s: string): boolean {
  return WHOLE.test(s);
}

/** Milliseconds in `s`; throws SPEC_FIELD when `s` is not a duration. */
export function parseDuration(s: string): number {
  if (!isDuration(s)) {
    throw new SlipwayError('SPEC_FIELD', `'${s}' is not a duration; ${DURATION_HINT}`, { value: s });
  }
  let ms = 0;
  for (const [, amount, unit] of s.matchAll(PART)) {
    ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  // Fractions such as 1.1h pick up binary noise; nanoseconds are the finest unit anyway.
  return Math.round(ms * 1e6) / 1e6;
}

export const MIN_DURATION_MS = 1_000;
export const MAX_DURATION_MS = 365 * UNIT_MS['d']!;

/**
 * Why `s` (a valid duration) is out of bounds for `what` (`a timeout`, `a delay`), with the
 * valid range; undefined when it is within them. `zero`: 0 means "none" and is allowed.
 */
export function durationBoundsProblem(s: string, what: string, zero: boolean): string | undefined {
  const ms = parseDuration(s);
  const range = zero ? `${what} is 0 (none) or 1s to 365d` : `${what} is 1s to 365d`;
  if (ms === 0 && zero) return undefined;
  if (ms < MIN_DURATION_MS) return `'${s}' is shorter than 1s; ${range}, e.g. 30s, 5m, 1h`;
  if (!(ms <= MAX_DURATION_MS)) return `'${s}' is longer than one year; ${range}, e.g. 30s, 5m, 1h`;
  return undefined;
}
