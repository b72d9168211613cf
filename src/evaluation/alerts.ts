/**
 * Firing alerts, read from Prometheus (/api/v1/alerts, state firing) or from Alertmanager
 * (/api/v2/alerts: active, neither silenced nor inhibited, so a silence there quiets a check too).
 * Matchers are exact label equalities; an empty set matches every firing alert.
 */
import { getJson, MetricsError, type HttpOptions } from './metrics-error.js';

export interface AlertSource {
  url: string;
  api: 'prometheus' | 'alertmanager';
}

export interface FiringAlert {
  /** The `alertname` label. */
  name: string;
  labels: Record<string, string>;
  /** Since when it is active (UTC ms), when the source says. */
  since?: number;
  annotations?: Record<string, string>;
}

export async function firingAlerts(source: AlertSource, matchers: Record<string, string> = {}, opts: HttpOptions = {}): Promise<FiringAlert[]> {
  const base = source.url.replace(/\/+$/, '');
  const all = source.api === 'prometheus' ? await fromPrometheus(base, opts) : await fromAlertmanager(base, matchers, opts);
  return all.filter((a) => Object.entries(matchers).every(([k, v]) => a.labels[k] === v));
}

interface PromAlerts {
  status?: string;
  data?: { alerts?: Array<{ labels?: Record<string, string>; annotations?: Record<string, string>; state?: string; activeAt?: string }> };
}

async function fromPrometheus(base: string, opts: HttpOptions): Promise<FiringAlert[]> {
  const { body } = await getJson(`${base}/api/v1/alerts`, 'Prometheus alerts', opts);
  const alerts = (body as PromAlerts).data?.alerts;
  if (!Array.isArray(alerts)) throw new MetricsError('METRICS_ANSWER', `Prometheus alerts: ${base}/api/v1/alerts did not answer with data.alerts; is ${base} a Prometheus server?`, { url: base });
  return alerts.filter((a) => a.state === 'firing').map((a) => alert(a.labels ?? {}, a.activeAt, a.annotations));
}

type AmAlerts = Array<{ labels?: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; status?: { state?: string } }>;

async function fromAlertmanager(base: string, matchers: Record<string, string>, opts: HttpOptions): Promise<FiringAlert[]> {
  const params = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false', unprocessed: 'false' });
  // Filtering at the source keeps the answer small; the same matchers are applied again here.
  for (const [k, v] of Object.entries(matchers)) params.append('filter', `${k}=${JSON.stringify(v)}`);
  const { body } = await getJson(`${base}/api/v2/alerts?${params}`, 'Alertmanager alerts', opts);
  if (!Array.isArray(body)) throw new MetricsError('METRICS_ANSWER', `Alertmanager alerts: ${base}/api/v2/alerts did not answer with a list; is ${base} an Alertmanager (API v2)?`, { url: base });
  return (body as AmAlerts).filter((a) => (a.status?.state ?? 'active') === 'active').map((a) => alert(a.labels ?? {}, a.startsAt, a.annotations));
}

function alert(labels: Record<string, string>, since: string | undefined, annotations: Record<string, string> | undefined): FiringAlert {
  const t = since ? Date.parse(since) : NaN;
  return { name: labels.alertname ?? '', labels, ...(Number.isFinite(t) ? { since: t } : {}), ...(annotations && Object.keys(annotations).length ? { annotations } : {}) };
}
