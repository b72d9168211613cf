/**
 * Go-style durations (`30s`, `5m`, `1h30m`, `500ms`, `1.5h`, `2d`) for executor properties.
 * A local copy on purpose: executors must not reach into src/spec, and the grammar is tiny.
 */

const unitMs: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5, as Go accepts it
  μs: 1e-3, // U+03BC
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;

/** A soak or timeout lasts at least this long… */
export const MIN_DURATION_MS = 1000;
/** …and at most a year. */
export const MAX_DURATION_MS = 365 * 86_400_000;

/**
 * Why `ms` is out of bounds for `what` (`a soak`), naming `shown` (the value as written)
 * and the valid range; undefined when it is within them.
 */
export function durationBoundsProblem(ms: number, shown: string, what: string): string | undefined {
  if (ms < MIN_DURATION_MS) return `${shown} is shorter than 1s; ${what} lasts 1s to 365d, e.g. \`30s\`, \`5m\`, \`1h30m\``;
  if (!(ms <= MAX_DURATION_MS)) return `${shown} is longer than one year; ${what} lasts 1s to 365d, e.g. \`30s\`, \`5m\`, \`1h30m\``;
  return undefined;
}

/** Milliseconds for a duration string or a number of ms; undefined when invalid or negative. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < text.length) {
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * unitMs[m[2]!]!;
  }
  return Math.round(total);
}

/** `5400000` → `1h30m`, `1500` → `1.5s`: for messages. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${Number((rest / 1000).toFixed(3))}s`;
  return out;
}
