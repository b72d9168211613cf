/** Small arithmetic the figures share. */

/** The median, interpolated between the two middle values of an even count (as PERCENTILE_CONT(0.5)); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 === 1 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const DAY_MS = 86_400_000;

/** Midnight UTC of the day `t` falls in. */
export const dayStart = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/** Midnight UTC of the Monday of the week `t` falls in (weeks start on Monday, as ISO 8601). */
export function weekStart(t: number): number {
  const day = dayStart(t);
  const weekday = new Date(day).getUTCDay(); // 0 = Sunday
  return day - ((weekday + 6) % 7) * DAY_MS;
}

/** `YYYY-MM` of `t` in UTC. */
export const monthOf = (t: number): string => new Date(t).toISOString().slice(0, 7);
