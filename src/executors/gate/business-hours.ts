/**
 * `businessHours` signal: passes while the sample's time, read in an IANA time zone, falls on a
 * listed day between `from` (inclusive) and `to` (exclusive). Times inside are UTC ms; the zone
 * is applied here only, through Intl, so daylight-saving changes need no table of our own. A
 * window with `from` after `to` crosses midnight and belongs to the day it opens on.
 */
import { describe } from '../properties.js';
import { isObject, unknownKeys, type Parsed, type SampleEnv, type SignalModule } from './signal.js';

const KEYS = ['timeZone', 'days', 'from', 'to'] as const;
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
type Day = (typeof DAYS)[number];
const WORKDAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export interface BusinessHoursSpec {
  timeZone: string;
  days: readonly Day[];
  /** Minutes after local midnight. */
  from: number;
  to: number;
  /** `mon-fri 09:00-17:00 Europe/Berlin`, for messages. */
  text: string;
}

function minutes(text: string): number {
  return Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
}

function validZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

// Making an Intl.DateTimeFormat costs far more than using one, and every sample of every gate asks.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

function daysText(days: readonly Day[]): string {
  const order = days.map((d) => (DAYS.indexOf(d) + 6) % 7).sort((a, b) => a - b);
  const consecutive = order.every((d, i) => i === 0 || d === order[i - 1]! + 1);
  const name = (i: number) => DAYS[(i + 1) % 7]!;
  return consecutive && order.length > 2 ? `${name(order[0]!)}-${name(order.at(-1)!)}` : order.map(name).join(',');
}

export function parseBusinessHours(raw: unknown, field: string): Parsed<BusinessHoursSpec> {
  if (!isObject(raw)) return { problems: [{ field, message: `businessHours must be a mapping {timeZone, days, from, to}, got ${describe(raw)}` }] };
  const problems = unknownKeys(raw, KEYS, field);
  if (typeof raw.timeZone !== 'string' || !validZone(raw.timeZone)) {
    problems.push({ field: `${field}.timeZone`, message: `timeZone must be an IANA time zone such as Europe/Berlin, America/New_York or UTC, got ${describe(raw.timeZone)}` });
  }
  const days = raw.days ?? WORKDAYS;
  const dayList = Array.isArray(days) ? days.map((d) => (typeof d === 'string' ? d.toLowerCase() : d)) : [];
  const badDay = dayList.find((d) => !DAYS.includes(d as Day));
  if (!Array.isArray(days) || dayList.length === 0 || badDay !== undefined) {
    problems.push({ field: `${field}.days`, message: `days must be a list of ${DAYS.join(', ')} (default mon-fri), got ${describe(raw.days)}` });
  } else if (new Set(dayList).size !== dayList.length) {
    problems.push({ field: `${field}.days`, message: `days lists a day twice: ${describe(raw.days)}` });
  }
  for (const k of ['from', 'to'] as const) {
    const v = raw[k];
    if (typeof v !== 'string' || !CLOCK.test(v) || (k === 'from' && v === '24:00')) {
      problems.push({ field: `${field}.${k}`, message: `${k} must be a local time HH:MM (00:00 to 23:59${k === 'to' ? ', or 24:00' : ''}), quoted in YAML, got ${describe(v)}` });
    }
  }
  if (problems.length === 0 && minutes(raw.from as string) === minutes(raw.to as string)) {
    problems.push({ field: `${field}.to`, message: `from and to are both ${String(raw.from)}: the window would be empty; for whole days write from: '00:00', to: '24:00'` });
  }
  if (problems.length > 0) return { problems };
  const from = minutes(raw.from as string);
  const to = minutes(raw.to as string);
  const list = dayList as Day[];
  return { spec: { timeZone: raw.timeZone as string, days: list, from, to, text: `${daysText(list)} ${String(raw.from)}-${String(raw.to)} ${String(raw.timeZone)}` } };
}

/** The local day and minute of `at` in `zone`. */
export function localTime(at: number, zone: string): { day: Day; minute: number; text: string } {
  const parts = formatter(zone).formatToParts(at);
  const part = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3) as Day;
  const hh = part('hour');
  const mm = part('minute');
  return { day, minute: Number(hh) * 60 + Number(mm), text: `${part('weekday')} ${hh}:${mm}` };
}

export function withinHours(s: BusinessHoursSpec, at: number): boolean {
  const { day, minute } = localTime(at, s.timeZone);
  if (s.from < s.to) return s.days.includes(day) && minute >= s.from && minute < s.to;
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7]!;
  return (s.days.includes(day) && minute >= s.from) || (s.days.includes(yesterday) && minute < s.to);
}

async function readBusinessHours(s: BusinessHoursSpec, env: SampleEnv) {
  const local = localTime(env.now, s.timeZone);
  const pass = withinHours(s, env.now);
  return { pass, value: local.text, detail: `${local.text} in ${s.timeZone} is ${pass ? 'within' : 'outside'} ${s.text}` };
}

export const businessHoursSignal: SignalModule<BusinessHoursSpec> = { parse: parseBusinessHours, read: readBusinessHours };
