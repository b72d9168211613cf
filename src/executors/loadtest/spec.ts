/**
 * A `loadtest` task's properties, checked once (at load time through validate(), and again
 * when the task runs) and turned into a LoadtestSpec:
 *
 *   url          where to send the load; absent: the candidate's preview on the local platform
 *   baseline     {rps: 50} declared, or {live: 1m, min: 5} measured from the stage's live traffic
 *   levels       multiples of the baseline, each run for `duration` (default 1, 2, 5, 10)
 *   thresholds   absolute limits that fail a level; `warn` the same limits for a warning
 *   regression   limits relative to the previous release's figures at the same level
 */
import { MAX_DURATION_MS, MIN_DURATION_MS, formatDurationMs, parseDurationMs } from '../duration.js';
import { describe, isStringMap, type Problem, type Properties } from '../properties.js';

export interface Limits {
  /** Highest share of failed requests (non-2xx/3xx, connection errors, timeouts), 0..1. */
  errorRate?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** Lowest share of the level's rate actually served, 0..1 (0.9: at least 90%). */
  throughput?: number;
}

export interface Regression {
  /** A level's p99 more than this many times the previous release's at the same level is a regression. */
  latency?: number;
  /** A level's error rate more than this much (absolute share) above the previous release's. */
  errorRate?: number;
  result: 'warning' | 'fail';
}

export type Baseline = { rps: number } | { liveMs: number; min: number };

export interface LoadtestSpec {
  url?: string;
  service?: string;
  target: string;
  path: string;
  method: string;
  headers: Readonly<Record<string, string>>;
  baseline: Baseline;
  levels: number[];
  durationMs: number;
  /** Load before the first level, at its rate, not judged: connections, caches and the JIT warm up. */
  warmupMs: number;
  connections?: number;
  timeoutMs: number;
  thresholds: Limits;
  warn: Limits;
  regression?: Regression;
  replay: boolean;
  stopOnFail: boolean;
}

const LIMIT_KEYS = ['errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'throughput'] as const;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const MAX_LEVEL_MS = 3_600_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function limitsOf(raw: unknown, field: string, problems: Problem[]): Limits {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.push({ field, message: `${field} is a map such as {errorRate: 0.01, p99Ms: 500}, got ${describe(raw)}` });
    return {};
  }
  const out: Limits = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(k)) {
      problems.push({ field: `${field}.${k}`, message: `${field} has no '${k}'; allowed: ${LIMIT_KEYS.join(', ')}` });
      continue;
    }
    const share = k === 'errorRate' || k === 'throughput';
    const ok = typeof v === 'number' && Number.isFinite(v) && (share ? v >= 0 && v <= 1 : v > 0);
    if (!ok) problems.push({ field: `${field}.${k}`, message: share ? `${k} is a share from 0 to 1, got ${describe(v)}` : `${k} is a latency in ms above 0, got ${describe(v)}` });
    else out[k as keyof Limits] = v as number;
  }
  return out;
}

function baselineOf(raw: unknown, problems: Problem[]): Baseline {
  const fallback = { rps: 1 };
  if (!isObject(raw)) {
    problems.push({ field: 'baseline', message: `baseline is required: {rps: 50} (declared) or {live: 1m} (measured from the stage's live traffic), got ${describe(raw)}` });
    return fallback;
  }
  if (raw['rps'] !== undefined && raw['live'] !== undefined) problems.push({ field: 'baseline', message: 'baseline takes rps or live, not both' });
  if (raw['rps'] !== undefined) {
    const v = raw['rps'];
    if (typeof v !== 'number' || !(v > 0 && v <= 100_000)) problems.push({ field: 'baseline.rps', message: `baseline.rps is requests per second, above 0 and at most 100000, got ${describe(v)}` });
    else return { rps: v };
    return fallback;
  }
  if (raw['live'] !== undefined) {
    const ms = parseDurationMs(raw['live']);
    if (ms === undefined || ms < MIN_DURATION_MS || ms > MAX_LEVEL_MS) problems.push({ field: 'baseline.live', message: `baseline.live is the window live traffic is measured over, 1s to 1h such as 1m, got ${describe(raw['live'])}` });
    const min = raw['min'] ?? 1;
    if (typeof min !== 'number' || !(min > 0)) problems.push({ field: 'baseline.min', message: `baseline.min is the lowest baseline in requests per second (above 0), got ${describe(min)}` });
    return { liveMs: ms ?? MIN_DURATION_MS, min: typeof min === 'number' && min > 0 ? min : 1 };
  }
  problems.push({ field: 'baseline', message: `baseline needs rps (declared, e.g. {rps: 50}) or live (a window to measure the stage's live traffic over, e.g. {live: 1m}), got ${describe(raw)}` });
  return fallback;
}

function regressionOf(raw: unknown, problems: Problem[]): Regression | undefined {
  if (raw === false) return undefined;
  if (raw === undefined) return { latency: 1.5, result: 'warning' };
  if (!isObject(raw)) {
    problems.push({ field: 'regression', message: `regression is a map such as {latency: 1.5, errorRate: 0.01, result: warning} or false, got ${describe(raw)}` });
    return undefined;
  }
  const out: Regression = { result: 'warning' };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'latency') {
      if (typeof v !== 'number' || !(v >= 1)) problems.push({ field: 'regression.latency', message: `regression.latency is a factor of at least 1 (1.5: p99 up by half), got ${describe(v)}` });
      else out.latency = v;
    } else if (k === 'errorRate') {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) problems.push({ field: 'regression.errorRate', message: `regression.errorRate is a share from 0 to 1 the error rate may grow by, got ${describe(v)}` });
      else out.errorRate = v;
    } else if (k === 'result') {
      if (v !== 'warning' && v !== 'fail') problems.push({ field: 'regression.result', message: `regression.result is warning or fail, got ${describe(v)}` });
      else out.result = v;
    } else problems.push({ field: `regression.${k}`, message: `regression has no '${k}'; allowed: latency, errorRate, result` });
  }
  return out;
}

function levelsOf(raw: unknown, problems: Problem[]): number[] {
  if (raw === undefined) return [1, 2, 5, 10];
  const ok = Array.isArray(raw) && raw.length > 0 && raw.length <= 20 && raw.every((l) => typeof l === 'number' && l > 0 && l <= 1000);
  if (!ok) {
    problems.push({ field: 'levels', message: `levels is a list of 1 to 20 multiples of the baseline such as [1, 2, 5, 10], got ${describe(raw)}` });
    return [1];
  }
  return raw as number[];
}

function urlProblem(v: unknown): boolean {
  if (typeof v !== 'string') return true;
  if (v.includes('${secret:')) return false;
  return !URL.canParse(v) || !['http:', 'https:'].includes(new URL(v).protocol);
}

export function parseLoadtest(props: Properties): { spec: LoadtestSpec; problems: Problem[] } {
  const problems: Problem[] = [];
  const known = ['url', 'service', 'target', 'path', 'method', 'headers', 'baseline', 'levels', 'duration', 'warmup', 'connections', 'timeout', 'thresholds', 'warn', 'regression', 'replay', 'stopOnFail'];
  for (const k of Object.keys(props)) if (!known.includes(k)) problems.push({ field: k, message: `loadtest has no property '${k}'; allowed: ${known.join(', ')}` });
  if (props.url !== undefined && urlProblem(props.url)) problems.push({ field: 'url', message: `url is an http(s) URL such as http://127.0.0.1:8080/, got ${describe(props.url)}` });
  for (const f of ['service', 'target'] as const) {
    if (props[f] !== undefined && (typeof props[f] !== 'string' || props[f] === '')) problems.push({ field: f, message: `${f} is a name, got ${describe(props[f])}` });
  }
  const path = props.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/')) problems.push({ field: 'path', message: `path starts with / (e.g. /checkout?x=1), got ${describe(path)}` });
  const method = typeof props.method === 'string' ? props.method.toUpperCase() : 'GET';
  if (props.method !== undefined && !METHODS.includes(method)) problems.push({ field: 'method', message: `method is one of ${METHODS.join(', ')}, got ${describe(props.method)}` });
  if (props.headers !== undefined && !isStringMap(props.headers)) problems.push({ field: 'headers', message: `headers is a map of strings, got ${describe(props.headers)}` });
  const durationMs = parseDurationMs(props.duration ?? '30s');
  if (durationMs === undefined || durationMs < MIN_DURATION_MS || durationMs > MAX_LEVEL_MS) {
    problems.push({ field: 'duration', message: `duration is how long each level runs, 1s to 1h such as 30s, got ${describe(props.duration)}` });
  }
  const warmupMs = props.warmup === undefined ? Math.min(durationMs ?? 30_000, 5000) : parseDurationMs(props.warmup);
  if (warmupMs === undefined || (warmupMs !== 0 && warmupMs < MIN_DURATION_MS) || warmupMs > MAX_LEVEL_MS) {
    problems.push({ field: 'warmup', message: `warmup is how long the target is loaded before the first level (not judged), 0 or 1s to 1h such as 5s, got ${describe(props.warmup)}` });
  }
  const connections = props.connections;
  if (connections !== undefined && !(Number.isInteger(connections) && (connections as number) >= 1 && (connections as number) <= 1000)) {
    problems.push({ field: 'connections', message: `connections is a whole number from 1 to 1000, got ${describe(connections)}` });
  }
  const timeoutMs = parseDurationMs(props.timeout ?? '10s');
  if (timeoutMs === undefined || timeoutMs < MIN_DURATION_MS || timeoutMs > MAX_DURATION_MS) problems.push({ field: 'timeout', message: `timeout is how long one request may take, at least 1s such as 10s, got ${describe(props.timeout)}` });
  for (const f of ['replay', 'stopOnFail'] as const) if (props[f] !== undefined && typeof props[f] !== 'boolean') problems.push({ field: f, message: `${f} is true or false, got ${describe(props[f])}` });
  const thresholds = props.thresholds === undefined ? { errorRate: 0.01 } : limitsOf(props.thresholds, 'thresholds', problems);
  const spec: LoadtestSpec = {
    ...(typeof props.url === 'string' ? { url: props.url } : {}),
    ...(typeof props.service === 'string' ? { service: props.service } : {}),
    target: typeof props.target === 'string' ? props.target : 'local',
    path: typeof path === 'string' ? path : '/',
    method,
    headers: isStringMap(props.headers) ? props.headers : {},
    baseline: baselineOf(props.baseline, problems),
    levels: levelsOf(props.levels, problems),
    durationMs: durationMs ?? 30_000,
    warmupMs: warmupMs ?? 0,
    ...(typeof connections === 'number' ? { connections } : {}),
    timeoutMs: timeoutMs ?? 10_000,
    thresholds,
    warn: limitsOf(props.warn, 'warn', problems),
    ...withRegression(regressionOf(props.regression, problems)),
    replay: props.replay !== false,
    stopOnFail: props.stopOnFail !== false,
  };
  return { spec, problems };
}

function withRegression(r: Regression | undefined): { regression?: Regression } {
  return r ? { regression: r } : {};
}

/** The longest a load test may take: a live baseline window, every level, and a minute of slack per level. */
export function loadtestTimeoutMs(props: Properties): number {
  const { spec } = parseLoadtest(props);
  const live = 'liveMs' in spec.baseline ? spec.baseline.liveMs : 0;
  return live + spec.warmupMs + spec.levels.length * (spec.durationMs + spec.timeoutMs + 60_000);
}

export const describeLevel = (level: number, rps: number): string => `${level}× (${rps} rps)`;
export { formatDurationMs };
