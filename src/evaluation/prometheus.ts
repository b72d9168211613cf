/**
 * Prometheus's HTTP API, read as numbers: an instant query (/api/v1/query) whose answer is a
 * scalar or one sample. No data is not an error (a service without traffic has no error rate):
 * it comes back as `undefined`; callers decide what it means. Everything else that keeps the
 * answer from being one number is a MetricsError naming the query and the fix.
 */
import { getJson, MetricsError, type HttpOptions } from './metrics-error.js';

export interface QueryOptions extends HttpOptions {
  /** Evaluation time (UTC ms); default: Prometheus's now. */
  time?: number;
}

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

interface ApiAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

function baseOf(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** The query's samples (a scalar is one sample without labels; an empty vector is []). */
export async function queryPrometheusSamples(baseUrl: string, promql: string, opts: QueryOptions = {}): Promise<PromSample[]> {
  const params = new URLSearchParams({ query: promql });
  if (opts.time !== undefined) params.set('time', (opts.time / 1000).toFixed(3));
  if (opts.timeoutMs !== undefined) params.set('timeout', `${Math.max(1, Math.floor(opts.timeoutMs / 1000))}s`);
  const url = `${baseOf(baseUrl)}/api/v1/query?${params}`;
  const what = `Prometheus query ${JSON.stringify(promql)}`;
  let answer: ApiAnswer;
  try {
    answer = (await getJson(url, what, opts)).body as ApiAnswer;
  } catch (err) {
    if (err instanceof MetricsError) err.fields.query = promql;
    throw err;
  }
  const fields = { url: baseOf(baseUrl), query: promql };
  if (answer.status !== 'success' || !answer.data) {
    throw new MetricsError('METRICS_HTTP', `${what}: Prometheus answered status ${String(answer.status)}${answer.error ? `: ${answer.error}` : ''}`, fields);
  }
  const { resultType, result } = answer.data;
  if (resultType === 'scalar') return [{ labels: {}, value: sampleValue(result) }];
  if (resultType === 'vector' && Array.isArray(result)) {
    return result.map((r: { metric?: Record<string, string>; value?: unknown }) => ({ labels: r.metric ?? {}, value: sampleValue(r.value) }));
  }
  if (resultType === 'matrix') {
    throw new MetricsError('METRICS_ANSWER', `${what} gives a range vector; an SLI needs one number: aggregate over the range, e.g. avg_over_time(...[5m]) or rate(...[5m])`, fields);
  }
  throw new MetricsError('METRICS_ANSWER', `${what} gives a ${String(resultType)}; an SLI needs a scalar or an instant vector with one series`, fields);
}

/**
 * The query's one number; `undefined` when it returns no series (no data). A vector with more
 * than one series is an error naming how many and their labels: aggregate it (sum, avg, max).
 * NaN (e.g. 0/0 when there was no traffic) is returned as NaN.
 */
export async function queryPrometheus(baseUrl: string, promql: string, opts: QueryOptions = {}): Promise<number | undefined> {
  const samples = await queryPrometheusSamples(baseUrl, promql, opts);
  if (samples.length === 0) return undefined;
  if (samples.length > 1) {
    const shown = samples.slice(0, 5).map((s) => labelText(s.labels)).join(', ');
    throw new MetricsError(
      'METRICS_ANSWER',
      `Prometheus query ${JSON.stringify(promql)} returns ${samples.length} series (${shown}${samples.length > 5 ? ', …' : ''}); it must return one: aggregate them (sum(...), avg(...), max(...)) or add label matchers`,
      { url: baseOf(baseUrl), query: promql, series: samples.length },
    );
  }
  return samples[0]!.value;
}

function sampleValue(v: unknown): number {
  // Prometheus sends [unixSeconds, "value"]; the value is a string so that NaN and ±Inf survive JSON.
  const raw = Array.isArray(v) ? v[1] : undefined;
  if (raw === 'NaN') return NaN;
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw);
}

export function labelText(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
  return `${name ?? ''}{${inner}}`;
}
