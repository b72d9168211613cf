/**
 * Wall-clock time in an IANA zone, for the edges where people write local times (freeze
 * windows). Inside, times are UTC ms. Local times that do not exist or exist twice are
 * resolved as croner resolves cron times, so a cron window and a dated one agree:
 * - a time the clocks skip (02:30 on the last Sunday of March in Europe/Berlin) is the
 *   instant they jump (03:00 CEST, 01:00 UTC);
 * - a time that happens twice (02:30 on the last Sunday of October) is the first one (CEST).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time in `zone` at `utc`, as ms since the epoch of a UTC clock showing it. */
export function wallOf(utc: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(utc))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts['year']!, parts['month']! - 1, parts['day']!, parts['hour']!, parts['minute']!, parts['second']!);
  return wall + (((utc % 1000) + 1000) % 1000);
}

/** The zone's offset from UTC at `utc`, in ms (Berlin in summer: +7_200_000). */
export function offsetAt(utc: number, zone: string): number {
  return wallOf(utc, zone) - utc;
}

const DAY = 86_400_000;

/** The UTC instant a wall-clock time in `zone` names (skipped: the jump; repeated: the first). */
export function utcOf(wall: number, zone: string): number {
  // Offsets a day apart bracket any one transition: the candidates are the wall time read in each.
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const candidates = [...new Set([wall - before, wall - after])].filter((u) => wallOf(u, zone) === wall).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  // In a gap: the clocks jumped between the two readings; find the instant they did.
  let lo = wall - before;
  let hi = wall - after;
  if (lo > hi) [lo, hi] = [hi, lo];
  lo -= DAY;
  hi += DAY;
  const at = offsetAt(lo, zone);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid, zone) === at) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** `utc` plus `ms` counted on the zone's wall clock (Fri 16:00 + 64h is Mon 08:00 local, whatever the clocks did). */
export function addWall(utc: number, ms: number, zone: string): number {
  return utcOf(wallOf(utc, zone) + ms, zone);
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** `2026-12-24T16:00` (or with seconds, or a date alone: midnight) → wall ms; undefined when it is not one. */
export function parseLocal(text: string): number | undefined {
  const m = LOCAL.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(wall);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not exist is not one.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d || h! > 23 || mi! > 59 || s! > 59) return undefined;
  return wall;
}

/** `2026-03-27 16:00 CET` style: the local time in `zone` at `utc`, with the zone's abbreviation or offset. */
export function formatLocal(utc: number, zone: string): string {
  const wall = new Date(wallOf(utc, zone)).toISOString().slice(0, 16).replace('T', ' ');
  const name = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' }).formatToParts(new Date(utc)).find((p) => p.type === 'timeZoneName')?.value;
  return `${wall} ${name ?? zone}`;
}
