/**
 * `prometheus` signal: an instant query that must give one number, and a condition on it
 * (`result < 0.01`). No data (no series) and NaN fail the sample: a gate that cannot see the
 * error rate has not seen it low.
 */
import { queryPrometheus } from '../../evaluation/index.js';
import { describe } from '../properties.js';
import { parseCondition, showValue, test, type Condition } from './condition.js';
import { bounded, isHttpUrl, isObject, readingValue, unknownKeys, type Parsed, type SampleEnv, type SignalModule } from './signal.js';

const KEYS = ['url', 'query', 'condition'] as const;

export interface PrometheusSpec {
  url: string;
  query: string;
  condition: Condition;
}

export function parsePrometheus(raw: unknown, field: string): Parsed<PrometheusSpec> {
  if (!isObject(raw)) return { problems: [{ field, message: `prometheus must be a mapping {url, query, condition}, got ${describe(raw)}` }] };
  const problems = unknownKeys(raw, KEYS, field);
  if (!isHttpUrl(raw.url)) {
    problems.push({ field: `${field}.url`, message: `url must be the Prometheus server's http or https URL (e.g. http://prometheus:9090), got ${describe(raw.url)}` });
  }
  if (typeof raw.query !== 'string' || raw.query.trim() === '') {
    problems.push({ field: `${field}.query`, message: `query must be a PromQL expression giving one number, e.g. sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])), got ${describe(raw.query)}` });
  }
  let condition: Condition | undefined;
  if (raw.condition === undefined) {
    problems.push({ field: `${field}.condition`, message: "condition is required, e.g. 'result < 0.01'" });
  } else {
    const c = parseCondition(raw.condition, { word: 'result', optional: true });
    if (typeof c === 'string') problems.push({ field: `${field}.condition`, message: c });
    else condition = c;
  }
  if (problems.length > 0 || !condition) return { problems };
  return { spec: { url: raw.url as string, query: raw.query as string, condition } };
}

async function readPrometheus(s: PrometheusSpec, env: SampleEnv) {
  let value: number | undefined;
  try {
    value = await queryPrometheus(s.url, s.query, { signal: env.signal, timeoutMs: env.timeoutMs });
  } catch (err) {
    return { pass: false, value: null, detail: bounded(err instanceof Error ? err.message : String(err)) };
  }
  const want = `result ${s.condition.op} ${showValue(s.condition.literal)}`;
  if (value === undefined) return { pass: false, value: null, detail: `no data: the query returned no series, so ${want} is not known` };
  const t = test(value, s.condition);
  return { pass: t.pass, value: readingValue(value), detail: t.pass ? `${showValue(value)}: ${want}` : `result ${t.why ?? ''}` };
}

export const prometheusSignal: SignalModule<PrometheusSpec> = { parse: parsePrometheus, read: readPrometheus };
