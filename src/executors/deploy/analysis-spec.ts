/**
 * The two measured forms of a canary `analysis` step, read from properties with problems that
 * name the field (`steps[2].analysis.judge.metrics[0].direction`):
 *
 *   judge:    the canary slot against the baseline slot (the previous release, same time window),
 *             metric by metric as Kayenta's NetflixACAJudge (src/evaluation/judge)
 *   metrics:  Argo Rollouts' threshold analysis: conditions on measurements taken every
 *             `interval`, `count` times (src/evaluation/threshold-analysis.ts)
 */
import type { Condition, MetricDirection } from '../../evaluation/index.js';
import { parseCondition, thresholdMetricProblems } from '../../evaluation/index.js';
import { parseDurationMs } from '../duration.js';
import type { Problem } from '../properties.js';
import { describe } from '../properties.js';

/** What the router's per-slot counters give over an interval. */
export const ROUTER_QUANTITIES = ['errorRate', 'meanLatency', 'p90Latency', 'requests'] as const;
export type RouterQuantity = (typeof ROUTER_QUANTITIES)[number];

export type MetricSource =
  | { provider: 'router'; quantity: RouterQuantity }
  /** `query` has $SLOT and $VERSION filled per side; or one query per side. */
  | { provider: 'prometheus'; canaryQuery: string; baselineQuery: string };

export interface JudgeMetricSpec {
  name: string;
  source: MetricSource;
  direction: MetricDirection;
  allowedIncrease?: number;
  allowedDecrease?: number;
  critical: boolean;
  mustHaveData: boolean;
  groups: string[];
}

export interface JudgeSpec {
  sampleIntervalMs: number;
  durationMs: number;
  minSamples: number;
  confidenceLevel?: number;
  metrics: JudgeMetricSpec[];
  groupWeights: Record<string, number>;
  pass: number;
  marginal: number;
  /** A marginal score waits for a person by default. */
  onMarginal: 'pause' | 'fail' | 'pass';
  /** Too few samples fails closed by default; it never passes. */
  onTooLittleData: 'pause' | 'fail';
}

export interface ThresholdMetricSpec {
  name: string;
  source: { provider: 'router'; quantity: RouterQuantity } | { provider: 'prometheus'; query: string };
  successCondition?: Condition;
  failureCondition?: Condition;
  /** The conditions as written, for output. */
  conditions: { success?: string; failure?: string };
  intervalMs?: number;
  initialDelayMs: number;
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Reader {
  constructor(
    readonly o: Obj,
    readonly at: string,
    readonly problems: Problem[],
  ) {}
  add(field: string, message: string): void {
    this.problems.push({ field: `${this.at}.${field}`, message });
  }
  known(fields: readonly string[]): void {
    for (const k of Object.keys(this.o)) if (!fields.includes(k)) this.add(k, `unknown field '${k}'; known here: ${fields.join(', ')}`);
  }
  num(field: string, ok: (n: number) => boolean, rule: string): number | undefined {
    const v = this.o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !ok(v)) {
      this.add(field, `${field} is ${rule}, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }
  int(field: string, min: number): number | undefined {
    return this.num(field, (n) => Number.isInteger(n) && n >= min, `a whole number ≥ ${min}`);
  }
  bool(field: string): boolean | undefined {
    const v = this.o[field];
    if (v === undefined || typeof v === 'boolean') return v;
    this.add(field, `${field} is true or false, got ${describe(v)}`);
    return undefined;
  }
  oneOf<T extends string>(field: string, values: readonly T[]): T | undefined {
    const v = this.o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.add(field, `${field} is one of ${values.join(', ')}, got ${describe(v)}`);
      return undefined;
    }
    return v as T;
  }
  str(field: string): string | undefined {
    const v = this.o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      this.add(field, `${field} is a non-empty string, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }
  duration(field: string, minMs: number, maxMs: number): number | undefined {
    const v = this.o[field];
    if (v === undefined) return undefined;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      this.add(field, `${field} is a duration from ${minMs}ms to ${maxMs / 60_000}m such as 2s or 1m, got ${describe(v)}`);
      return undefined;
    }
    return ms;
  }
}

function routerQuantity(r: Reader, raw: string | undefined, name: string | undefined): RouterQuantity | undefined {
  const q = raw ?? name;
  if (q !== undefined && (ROUTER_QUANTITIES as readonly string[]).includes(q)) return q as RouterQuantity;
  r.add(raw === undefined ? 'query' : 'query', `a router metric's query is one of ${ROUTER_QUANTITIES.join(', ')} (per interval, per slot), got ${describe(raw ?? name)}`);
  return undefined;
}

const JUDGE_METRIC_FIELDS = ['name', 'provider', 'query', 'canaryQuery', 'baselineQuery', 'direction', 'allowedIncrease', 'allowedDecrease', 'critical', 'mustHaveData', 'group', 'groups'] as const;

function judgeMetric(raw: unknown, at: string, problems: Problem[], prometheus: string | undefined): JudgeMetricSpec | undefined {
  if (!isObj(raw)) {
    problems.push({ field: at, message: `a judge metric is {name, provider, query, direction, ...}, got ${describe(raw)}` });
    return undefined;
  }
  const r = new Reader(raw, at, problems);
  r.known(JUDGE_METRIC_FIELDS);
  const name = r.str('name');
  if (name === undefined && raw['name'] === undefined) r.add('name', 'every metric needs a name');
  const provider = r.oneOf('provider', ['router', 'prometheus'] as const) ?? 'router';
  let source: MetricSource | undefined;
  if (provider === 'router') {
    const q = routerQuantity(r, r.str('query'), name);
    if (q) source = { provider: 'router', quantity: q };
  } else {
    if (prometheus === undefined) r.add('provider', 'a prometheus metric needs the analysis to name the server: analysis.prometheus: http://host:9090');
    const query = r.str('query');
    const canaryQuery = r.str('canaryQuery');
    const baselineQuery = r.str('baselineQuery');
    if (query !== undefined && (canaryQuery !== undefined || baselineQuery !== undefined)) r.add('query', 'give either query (with $SLOT or $VERSION) or canaryQuery and baselineQuery, not both');
    else if (query !== undefined) {
      if (!query.includes('$SLOT') && !query.includes('$VERSION')) r.add('query', `query must tell the canary from the baseline with $SLOT or $VERSION, got ${describe(query)}`);
      else source = { provider: 'prometheus', canaryQuery: query, baselineQuery: query };
    } else if (canaryQuery !== undefined && baselineQuery !== undefined) source = { provider: 'prometheus', canaryQuery, baselineQuery };
    else r.add('query', 'a prometheus metric needs query (with $SLOT or $VERSION), or canaryQuery and baselineQuery');
  }
  const direction = r.oneOf('direction', ['increase', 'decrease', 'either'] as const) ?? 'either';
  const allowedIncrease = r.num('allowedIncrease', (n) => n > 0, 'a positive ratio of the means, e.g. 1.1 (10% higher tolerated)');
  const allowedDecrease = r.num('allowedDecrease', (n) => n > 0, 'a positive ratio of the means, e.g. 0.9 (10% lower tolerated)');
  const critical = r.bool('critical') ?? false;
  const mustHaveData = r.bool('mustHaveData') ?? false;
  let groups: string[] = [];
  if (raw['group'] !== undefined) {
    const g = r.str('group');
    if (g !== undefined) groups = [g];
  }
  if (raw['groups'] !== undefined) {
    const gs = raw['groups'];
    if (!Array.isArray(gs) || !gs.every((g) => typeof g === 'string' && g !== '')) r.add('groups', `groups is a list of group names, got ${describe(gs)}`);
    else groups = [...groups, ...(gs as string[])];
  }
  if (name === undefined || source === undefined) return undefined;
  return {
    name,
    source,
    direction,
    ...(allowedIncrease !== undefined ? { allowedIncrease } : {}),
    ...(allowedDecrease !== undefined ? { allowedDecrease } : {}),
    critical,
    mustHaveData,
    groups,
  };
}

const JUDGE_FIELDS = ['sampleInterval', 'duration', 'minSamples', 'confidenceLevel', 'metrics', 'groupWeights', 'thresholds', 'marginal', 'tooLittleData'] as const;

export function judgeOf(raw: unknown, at: string, problems: Problem[], prometheus: string | undefined): JudgeSpec | undefined {
  if (!isObj(raw)) {
    problems.push({ field: at, message: `judge is {sampleInterval, duration, metrics: [...], thresholds: {pass, marginal}}, got ${describe(raw)}` });
    return undefined;
  }
  const r = new Reader(raw, at, problems);
  r.known(JUDGE_FIELDS);
  const before = problems.length;
  const sampleIntervalMs = r.duration('sampleInterval', 100, 3_600_000) ?? 2000;
  const durationMs = r.duration('duration', 1000, 24 * 3_600_000) ?? 30_000;
  const minSamples = r.int('minSamples', 1) ?? 10;
  const confidenceLevel = r.num('confidenceLevel', (n) => n > 0 && n < 1, 'a level between 0 and 1 (Kayenta: 0.98)');
  const samples = Math.floor(durationMs / sampleIntervalMs);
  if (samples < minSamples) {
    r.add('duration', `duration ${durationMs / 1000}s at sampleInterval ${sampleIntervalMs / 1000}s gives ${samples} samples, fewer than minSamples ${minSamples}: lengthen duration or shorten sampleInterval`);
  }
  const metrics: JudgeMetricSpec[] = [];
  const list = raw['metrics'];
  if (!Array.isArray(list) || list.length === 0) r.add('metrics', `metrics is a non-empty list such as [{name: errorRate, direction: increase, critical: true}], got ${describe(list)}`);
  else {
    list.forEach((m, i) => {
      const spec = judgeMetric(m, `${at}.metrics[${i}]`, problems, prometheus);
      if (!spec) return;
      if (metrics.some((x) => x.name === spec.name)) problems.push({ field: `${at}.metrics[${i}].name`, message: `metric name '${spec.name}' is used twice; names must be unique` });
      else metrics.push(spec);
    });
  }
  const groupWeights: Record<string, number> = {};
  const gw = raw['groupWeights'];
  if (gw !== undefined) {
    if (!isObj(gw)) r.add('groupWeights', `groupWeights maps group names to percentages, got ${describe(gw)}`);
    else {
      let sum = 0;
      for (const [g, w] of Object.entries(gw)) {
        if (typeof w !== 'number' || !(w >= 0)) r.add(`groupWeights.${g}`, `a group weight is a percentage ≥ 0, got ${describe(w)}`);
        else {
          groupWeights[g] = w;
          sum += w;
        }
      }
      if (sum > 100) r.add('groupWeights', `group weights add up to ${sum}, more than 100`);
      const used = new Set(metrics.flatMap((m) => (m.groups.length > 0 ? m.groups : ['default'])));
      for (const g of Object.keys(groupWeights)) if (!used.has(g)) r.add(`groupWeights.${g}`, `no metric is in group '${g}'; groups in use: ${[...used].join(', ')}`);
    }
  }
  let pass = 95;
  let marginal = 75;
  const th = raw['thresholds'];
  if (th !== undefined) {
    if (!isObj(th)) r.add('thresholds', `thresholds is {pass: 95, marginal: 75}, got ${describe(th)}`);
    else {
      const t = new Reader(th, `${at}.thresholds`, problems);
      t.known(['pass', 'marginal']);
      pass = t.num('pass', (n) => n >= 0 && n <= 100, 'a score from 0 to 100') ?? pass;
      marginal = t.num('marginal', (n) => n >= 0 && n <= 100, 'a score from 0 to 100') ?? marginal;
      if (marginal > pass) t.add('marginal', `marginal ${marginal} is above pass ${pass}; marginal ≤ pass (e.g. pass 95, marginal 75)`);
    }
  }
  const onMarginal = r.oneOf('marginal', ['pause', 'fail', 'pass'] as const) ?? 'pause';
  const onTooLittleData = r.oneOf('tooLittleData', ['pause', 'fail'] as const) ?? 'fail';
  if (problems.length > before) return undefined;
  return {
    sampleIntervalMs,
    durationMs,
    minSamples,
    ...(confidenceLevel !== undefined ? { confidenceLevel } : {}),
    metrics,
    groupWeights,
    pass,
    marginal,
    onMarginal,
    onTooLittleData,
  };
}

const THRESHOLD_FIELDS = [
  'name',
  'provider',
  'query',
  'successCondition',
  'failureCondition',
  'interval',
  'initialDelay',
  'count',
  'failureLimit',
  'inconclusiveLimit',
  'consecutiveErrorLimit',
] as const;

function condition(r: Reader, field: 'successCondition' | 'failureCondition'): { text?: string; parsed?: Condition } {
  const text = r.str(field);
  if (text === undefined) return {};
  try {
    return { text, parsed: parseCondition(text) };
  } catch (err) {
    r.add(field, (err as Error).message);
    return {};
  }
}

function thresholdMetric(raw: unknown, at: string, problems: Problem[], prometheus: string | undefined): ThresholdMetricSpec | undefined {
  if (!isObj(raw)) {
    problems.push({ field: at, message: `a metric is {name, provider, query, successCondition, failureCondition, interval, count, ...}, got ${describe(raw)}` });
    return undefined;
  }
  const before = problems.length;
  const r = new Reader(raw, at, problems);
  r.known(THRESHOLD_FIELDS);
  const name = r.str('name');
  if (raw['name'] === undefined) r.add('name', 'every metric needs a name');
  const provider = r.oneOf('provider', ['router', 'prometheus'] as const) ?? 'router';
  let source: ThresholdMetricSpec['source'] | undefined;
  const query = r.str('query');
  if (provider === 'router') {
    const q = routerQuantity(r, query, name);
    if (q) source = { provider: 'router', quantity: q };
  } else if (query === undefined) r.add('query', 'a prometheus metric needs a query (PromQL giving one number; $SLOT, $VERSION, $SERVICE filled)');
  else {
    if (prometheus === undefined) r.add('provider', 'a prometheus metric needs the analysis to name the server: analysis.prometheus: http://host:9090');
    source = { provider: 'prometheus', query };
  }
  const success = condition(r, 'successCondition');
  const failure = condition(r, 'failureCondition');
  const intervalMs = r.duration('interval', 100, 3_600_000);
  const initialDelayMs = r.duration('initialDelay', 0, 3_600_000) ?? 0;
  const count = r.int('count', 1);
  const failureLimit = r.int('failureLimit', 0) ?? 0;
  const inconclusiveLimit = r.int('inconclusiveLimit', 0) ?? 0;
  const consecutiveErrorLimit = r.int('consecutiveErrorLimit', 0) ?? 4;
  if (intervalMs !== undefined && count === undefined) {
    r.add('count', 'count is needed with interval in a canary step: without it Argo measures until the rollout ends, and a step must end (e.g. count: 5)');
  }
  const effectiveCount = count ?? 1;
  for (const p of thresholdMetricProblems({ count: effectiveCount, ...(intervalMs !== undefined ? { intervalMs } : {}), failureLimit, inconclusiveLimit })) r.add(p.field, p.message);
  if (problems.length > before || name === undefined || source === undefined) return undefined;
  return {
    name,
    source,
    ...(success.parsed ? { successCondition: success.parsed } : {}),
    ...(failure.parsed ? { failureCondition: failure.parsed } : {}),
    conditions: { ...(success.text ? { success: success.text } : {}), ...(failure.text ? { failure: failure.text } : {}) },
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    initialDelayMs,
    count: effectiveCount,
    failureLimit,
    inconclusiveLimit,
    consecutiveErrorLimit,
  };
}

export function thresholdMetricsOf(raw: unknown, at: string, problems: Problem[], prometheus: string | undefined): ThresholdMetricSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({ field: at, message: `metrics is a non-empty list such as [{name: errors, query: errorRate, successCondition: 'result < 0.01', interval: 5s, count: 6}], got ${describe(raw)}` });
    return [];
  }
  const out: ThresholdMetricSpec[] = [];
  raw.forEach((m, i) => {
    const spec = thresholdMetric(m, `${at}[${i}]`, problems, prometheus);
    if (!spec) return;
    if (out.some((x) => x.name === spec.name)) problems.push({ field: `${at}[${i}].name`, message: `metric name '${spec.name}' is used twice; names must be unique` });
    else out.push(spec);
  });
  return out;
}
