/**
 * When a promotion schedule fires: its 5-field cron names wall-clock times in its zone. The
 * cron runs on a UTC clock standing for the zone's wall clock, and each wall time maps to an
 * instant as freeze windows map theirs (freeze/zoned.ts), so the two read clock changes alike:
 * - a time the clocks skip (02:30 on the night they spring forward) fires at the instant they
 *   jump (03:00 in the new offset), once;
 * - a time that happens twice (01:30 on the night New York falls back, 02:30 in Berlin) fires
 *   once, the first time (in the summer offset).
 * Pure: time comes in as an argument; the only state is a cache of parsed patterns.
 */
import { Cron } from 'croner';
import type { ScheduleSpec } from '../../core/index.js';
import { utcOf, wallOf } from '../freeze/zoned.js';

const patterns = new Map<string, Cron>();

function pattern(cron: string): Cron {
  let c = patterns.get(cron);
  if (!c) {
    c = new Cron(cron, { timezone: 'UTC', paused: true });
    patterns.set(cron, c);
  }
  return c;
}

/** The first fire time of `s` strictly after `after` (UTC ms); undefined when the cron names none. */
export function nextFire(s: Pick<ScheduleSpec, 'cron' | 'timeZone'>, after: number): number | undefined {
  const cron = pattern(s.cron);
  let wall = cron.nextRun(new Date(wallOf(after, s.timeZone)))?.getTime();
  // After the clocks went back, wall times just ahead happened already (their first time counts); a
  // skipped time maps onto the jump, which may be at or before `after` when it was the last fire.
  for (let i = 0; wall !== undefined && utcOf(wall, s.timeZone) <= after && i < 1000; i++) wall = cron.nextRun(new Date(wall))?.getTime();
  return wall === undefined ? undefined : utcOf(wall, s.timeZone);
}

/** The next `n` fire times after `after`, for status and docs. */
export function nextFires(s: Pick<ScheduleSpec, 'cron' | 'timeZone'>, after: number, n: number): number[] {
  const out: number[] = [];
  for (let t = nextFire(s, after); t !== undefined && out.length < n; t = nextFire(s, t)) out.push(t);
  return out;
}
