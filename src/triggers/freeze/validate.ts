/** Checks on freeze window fields, for the spec loader: each says what is wrong and what is valid. */
import { Cron } from 'croner';
import { isTimeZone, parseLocal, utcOf } from './zoned.js';

const CRON_HINT = "five fields: minute hour day-of-month month day-of-week, e.g. '0 16 * * 5' (Fridays 16:00)";

/** Why `expr` is not a 5-field cron pattern croner accepts; undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `'${expr}' has ${fields.length} field${fields.length === 1 ? '' : 's'}; a freeze cron has ${CRON_HINT}`;
  try {
    new Cron(expr, { paused: true });
    return undefined;
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^CronPattern:\s*/, '') : String(e);
    return `'${expr}' is not a valid cron pattern (${why}); use ${CRON_HINT}`;
  }
}

/** Why `zone` is not an IANA time zone; undefined when it is one. */
export function timeZoneProblem(zone: string): string | undefined {
  if (isTimeZone(zone)) return undefined;
  return `'${zone}' is not an IANA time zone this server knows; use a name such as Europe/Berlin, America/New_York or UTC`;
}

export const LOCAL_HINT = 'a local date-time YYYY-MM-DDTHH:MM (seconds optional), e.g. 2026-12-23T18:00';

/** Why `text` is not a local date-time; undefined when it is one. */
export function localProblem(text: string): string | undefined {
  return parseLocal(text) === undefined ? `'${text}' is not ${LOCAL_HINT}` : undefined;
}

/** Why a dated window from `from` to `to` in `zone` is empty or reversed; undefined when it holds for some time. */
export function datedProblem(from: string, to: string, zone: string): string | undefined {
  const f = parseLocal(from);
  const t = parseLocal(to);
  if (f === undefined || t === undefined || !isTimeZone(zone)) return undefined;
  if (utcOf(t, zone) <= utcOf(f, zone)) return `to '${to}' is not after from '${from}' (in ${zone}); a freeze window must end after it starts`;
  return undefined;
}
