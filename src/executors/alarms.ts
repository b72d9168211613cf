/**
 * Alarm signals as task properties carry them (a stage's `alarms`, put there by the spec
 * mapping): `{name, prometheus: URL | alertmanager: URL, labels: {...}, interval?}`, the same
 * shape as a gate's alarm signal. Shared by the soak (`wait`) and `alarm-check`.
 */
import { firingAlerts, type AlertSource, type FiringAlert } from '../evaluation/index.js';
import { durationBoundsProblem, parseDurationMs } from './duration.js';
import { describe, isStringMap, type Problem, type Properties } from './properties.js';

export interface AlarmSignal {
  name: string;
  source: AlertSource;
  labels: Readonly<Record<string, string>>;
  intervalMs: number;
}

/** One poll of one alarm: the alerts firing that match it, or why it could not be read. */
export interface AlarmReading {
  name: string;
  firing: FiringAlert[];
  error?: string;
}

export const DEFAULT_ALARM_INTERVAL_MS = 15_000;
const KEYS = ['name', 'prometheus', 'alertmanager', 'labels', 'interval'];
/** A poll that takes longer than this reads as an error, so a hung server does not stall the soak. */
const POLL_TIMEOUT_MS = 10_000;

function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}

/** Problems of an `alarms` property (absent is fine: nothing is watched). */
export function alarmProblems(props: Properties, field = 'alarms'): Problem[] {
  const value = props[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [{ field, message: `${field} must be a list of alarms {name, prometheus: URL | alertmanager: URL, labels}, got ${describe(value)}` }];
  const out: Problem[] = [];
  value.forEach((a: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) {
      out.push({ field: at, message: `${at} must be an alarm {name, prometheus: URL | alertmanager: URL, labels}, got ${describe(a)}` });
      return;
    }
    const o = a as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.includes(k)) out.push({ field: `${at}.${k}`, message: `${at} has no field '${k}'; allowed: ${KEYS.join(', ')}` });
    if (typeof o.name !== 'string' || o.name === '') out.push({ field: `${at}.name`, message: `${at}.name must be a non-empty string, got ${describe(o.name)}` });
    const urls = (['prometheus', 'alertmanager'] as const).filter((k) => o[k] !== undefined);
    if (urls.length !== 1) out.push({ field: at, message: `${at} needs exactly one of prometheus or alertmanager (an http(s) URL)` });
    for (const k of urls) if (!isHttpUrl(o[k])) out.push({ field: `${at}.${k}`, message: `${at}.${k} must be an http(s) URL such as http://127.0.0.1:9090, got ${describe(o[k])}` });
    if (o.labels !== undefined && !isStringMap(o.labels)) out.push({ field: `${at}.labels`, message: `${at}.labels must be a map of strings, got ${describe(o.labels)}` });
    if (o.interval !== undefined) {
      const ms = parseDurationMs(o.interval);
      const bounds = ms === undefined ? `${describe(o.interval)} is not a duration; use e.g. \`15s\`` : durationBoundsProblem(ms, `interval ${describe(o.interval)}`, 'an alarm interval');
      if (bounds !== undefined) out.push({ field: `${at}.interval`, message: bounds });
    }
  });
  return out;
}

/** The alarms of a property that passed `alarmProblems`. */
export function parseAlarms(value: unknown): AlarmSignal[] {
  if (!Array.isArray(value)) return [];
  return value.map((a: Record<string, unknown>) => ({
    name: String(a.name),
    source: typeof a.prometheus === 'string' ? { url: a.prometheus, api: 'prometheus' as const } : { url: String(a.alertmanager), api: 'alertmanager' as const },
    labels: isStringMap(a.labels) ? a.labels : {},
    intervalMs: parseDurationMs(a.interval) ?? DEFAULT_ALARM_INTERVAL_MS,
  }));
}

/** Polls every alarm once, side by side. A source that cannot be read is an error on its reading, never a throw. */
export async function readAlarms(alarms: readonly AlarmSignal[], signal: AbortSignal): Promise<AlarmReading[]> {
  return Promise.all(
    alarms.map(async (a): Promise<AlarmReading> => {
      try {
        return { name: a.name, firing: await firingAlerts(a.source, { ...a.labels }, { signal, timeoutMs: POLL_TIMEOUT_MS }) };
      } catch (e) {
        return { name: a.name, firing: [], error: (e as Error).message };
      }
    }),
  );
}

/** `HighErrorRate{service="web"}`: an alert with the labels that tell it apart (not its name again). */
export function alertText(a: FiringAlert): string {
  const labels = Object.entries(a.labels)
    .filter(([k]) => k !== 'alertname')
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([k, v]) => `${k}="${v}"`);
  return `${a.name}{${labels.join(',')}}`;
}

/** `alarm high-errors: HighErrorRate{service="web"}; alarm ...`, for the readings with firing alerts. */
export function firingText(readings: readonly AlarmReading[]): string {
  return readings
    .filter((r) => r.firing.length > 0)
    .map((r) => `alarm ${r.name}: ${r.firing.slice(0, 5).map(alertText).join(', ')}${r.firing.length > 5 ? ` and ${r.firing.length - 5} more` : ''}`)
    .join('; ');
}

/** `alarm x could not be read: ...`, for the readings that failed. */
export function errorText(readings: readonly AlarmReading[]): string {
  return readings
    .filter((r) => r.error !== undefined)
    .map((r) => `alarm ${r.name} could not be read: ${r.error}`)
    .join('; ');
}

/** What progress and outputs keep of a poll: bounded, JSON. */
export function readingsRecord(readings: readonly AlarmReading[]): Record<string, unknown>[] {
  return readings.map((r) => ({
    name: r.name,
    firing: r.firing.slice(0, 10).map((a) => ({ name: a.name, labels: a.labels })),
    ...(r.error !== undefined ? { error: r.error.slice(0, 300) } : {}),
  }));
}

export function fastestInterval(alarms: readonly AlarmSignal[]): number {
  return alarms.length > 0 ? Math.min(...alarms.map((a) => a.intervalMs)) : DEFAULT_ALARM_INTERVAL_MS;
}
