/** Reading fields out of a forge's JSON payload without trusting its shape. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

export function str(value: unknown, ...path: (string | number)[]): string | undefined {
  const v = at(value, ...path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function num(value: unknown, ...path: (string | number)[]): number | undefined {
  const v = at(value, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** An RFC 3339 time as UTC ms, or undefined. */
export function time(value: unknown, ...path: (string | number)[]): number | undefined {
  const s = str(value, ...path);
  const ms = s === undefined ? NaN : Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The earliest of the commits' timestamps: when the change began. */
export function earliest(commits: unknown): number | undefined {
  if (!Array.isArray(commits)) return undefined;
  const times = commits.map((c) => time(c, 'timestamp')).filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.min(...times) : undefined;
}

export const ZERO_SHA = /^0+$/;
