/**
 * `alarm` signal: passes when no firing alert matches `labels`, read from Prometheus
 * (`prometheus: URL`, /api/v1/alerts) or from Alertmanager (`alertmanager: URL`, /api/v2/alerts,
 * where a silence quiets the gate too). No labels: any firing alert holds the gate.
 */
import { firingAlerts, labelText, type AlertSource } from '../../evaluation/index.js';
import { describe, isStringMap } from '../properties.js';
import { bounded, isHttpUrl, isObject, unknownKeys, type Parsed, type SampleEnv, type SignalModule } from './signal.js';

const KEYS = ['prometheus', 'alertmanager', 'labels'] as const;

export interface AlarmSpec {
  source: AlertSource;
  labels: Readonly<Record<string, string>>;
}

export function parseAlarm(raw: unknown, field: string): Parsed<AlarmSpec> {
  if (!isObject(raw)) return { problems: [{ field, message: `alarm must be a mapping {prometheus: URL | alertmanager: URL, labels: {...}}, got ${describe(raw)}` }] };
  const problems = unknownKeys(raw, KEYS, field);
  const given = (['prometheus', 'alertmanager'] as const).filter((k) => raw[k] !== undefined);
  if (given.length !== 1) {
    problems.push({
      field,
      message: given.length === 0 ? 'alarm needs where to read alerts: prometheus: URL (its /api/v1/alerts) or alertmanager: URL (its /api/v2/alerts)' : 'alarm reads alerts from one place: give prometheus or alertmanager, not both',
    });
  }
  const api = given[0];
  if (api !== undefined && !isHttpUrl(raw[api])) {
    problems.push({ field: `${field}.${api}`, message: `${api} must be the server's http or https URL, got ${describe(raw[api])}` });
  }
  if (raw.labels !== undefined && !isStringMap(raw.labels)) {
    problems.push({ field: `${field}.labels`, message: `labels must be a map of label names to values (e.g. {service: checkout, severity: page}), got ${describe(raw.labels)}` });
  }
  if (problems.length > 0 || api === undefined) return { problems };
  return { spec: { source: { url: raw[api] as string, api }, labels: isStringMap(raw.labels) ? raw.labels : {} } };
}

async function readAlarm(s: AlarmSpec, env: SampleEnv) {
  const what = Object.keys(s.labels).length === 0 ? 'alert' : `alert matching ${labelText(s.labels)}`;
  try {
    const firing = await firingAlerts(s.source, s.labels, { signal: env.signal, timeoutMs: env.timeoutMs });
    if (firing.length === 0) return { pass: true, value: 0, detail: `no ${what} is firing` };
    const names = firing.slice(0, 5).map((a) => `${a.name}${a.since !== undefined ? ` since ${new Date(a.since).toISOString()}` : ''}`);
    const more = firing.length > 5 ? ` and ${firing.length - 5} more` : '';
    return { pass: false, value: firing.length, detail: bounded(`${firing.length} firing (${what}): ${names.join(', ')}${more}`) };
  } catch (err) {
    return { pass: false, value: null, detail: bounded(err instanceof Error ? err.message : String(err)) };
  }
}

export const alarmSignal: SignalModule<AlarmSpec> = { parse: parseAlarm, read: readAlarm };
