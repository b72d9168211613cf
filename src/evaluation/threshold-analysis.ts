/**
 * Threshold analysis with Argo Rollouts' semantics (analysis/analysis.go, utils/analysis):
 * pure functions over measurements, so the executor that takes them and the tests share one
 * rule book.
 *
 * A measurement is one of:
 *   Successful    the success condition holds (or only a failure condition is set and it does not)
 *   Failed        the failure condition holds (checked first), or only a success condition is set and it does not
 *   Inconclusive  both conditions are set and neither holds
 *   Error         no value could be taken (provider error, no data)
 *
 * A metric is assessed after each measurement, in Argo's order: Failed when failures exceed
 * `failureLimit`, Inconclusive when inconclusive measurements exceed `inconclusiveLimit`, Error
 * when consecutive errors exceed `consecutiveErrorLimit`, Successful once `count` measurements
 * (errors excluded) were taken; otherwise Running. A run is the worst of its metrics
 * (Successful < Inconclusive < Error < Failed); once one metric ends worse than Successful the
 * run terminates and metrics still running count as Successful, as in Argo.
 */
import { evaluateCondition, parseCondition, type Condition } from './threshold-condition.js';

export const MeasurementPhase = { Successful: 'Successful', Failed: 'Failed', Inconclusive: 'Inconclusive', Error: 'Error' } as const;
export type MeasurementPhase = (typeof MeasurementPhase)[keyof typeof MeasurementPhase];

export type MetricPhase = 'Running' | MeasurementPhase;

/** Argo's defaults: no failure or inconclusive measurement tolerated; four errors in a row tolerated. */
export const THRESHOLD_DEFAULTS = { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 } as const;

export interface ThresholdMetric {
  readonly name: string;
  readonly successCondition?: Condition;
  readonly failureCondition?: Condition;
  /** Measurements to take (errors do not count). Argo: 1 when no interval is set. */
  readonly count: number;
  readonly failureLimit?: number;
  readonly inconclusiveLimit?: number;
  readonly consecutiveErrorLimit?: number;
}

export interface Measurement {
  readonly phase: MeasurementPhase;
  /** The value measured (absent for an error). */
  readonly value?: number;
  readonly message?: string;
  /** UTC ms. */
  readonly at: number;
}

export interface MetricTally {
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
}

export function emptyTally(): MetricTally {
  return { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0 };
}

/** Argo's EvaluateResult: the phase of one measured value. */
export function measurementPhase(metric: Pick<ThresholdMetric, 'successCondition' | 'failureCondition'>, value: number): MeasurementPhase {
  const { successCondition: s, failureCondition: f } = metric;
  if (!s && !f) return 'Successful';
  let success = s ? evaluateCondition(s, value) : false;
  let failure = f ? evaluateCondition(f, value) : false;
  if (s && !f) failure = !success;
  if (!s && f) success = !failure;
  if (failure) return 'Failed';
  if (!success) return 'Inconclusive';
  return 'Successful';
}

/** Adds a measurement to a tally as Argo's runMeasurements does (errors do not count toward `count`). */
export function tallyMeasurement(t: MetricTally, phase: MeasurementPhase): MetricTally {
  const next = { ...t };
  if (phase === 'Error') {
    next.error++;
    next.consecutiveError++;
    return next;
  }
  next.count++;
  next.consecutiveError = 0;
  if (phase === 'Successful') next.successful++;
  else if (phase === 'Failed') next.failed++;
  else next.inconclusive++;
  return next;
}

/** Argo's assessMetricStatus for a metric with at least one finished measurement. */
export function assessMetric(metric: ThresholdMetric, t: MetricTally, terminating = false): MetricPhase {
  if (t.count === 0 && t.error === 0) return terminating ? 'Successful' : 'Running';
  if (t.failed > (metric.failureLimit ?? THRESHOLD_DEFAULTS.failureLimit)) return 'Failed';
  if (t.inconclusive > (metric.inconclusiveLimit ?? THRESHOLD_DEFAULTS.inconclusiveLimit)) return 'Inconclusive';
  if (t.consecutiveError > (metric.consecutiveErrorLimit ?? THRESHOLD_DEFAULTS.consecutiveErrorLimit)) return 'Error';
  if (t.count >= metric.count) return 'Successful';
  return terminating ? 'Successful' : 'Running';
}

const ORDER: readonly MetricPhase[] = ['Running', 'Successful', 'Inconclusive', 'Error', 'Failed'];

/** Whether `b` is worse than `a` in Argo's order. */
export function isWorse(a: MetricPhase, b: MetricPhase): boolean {
  return ORDER.indexOf(b) > ORDER.indexOf(a);
}

/**
 * The run's phase from its metrics' phases: Running while any runs and none ended worse than
 * Successful; otherwise the worst, with still-running metrics terminated as Successful.
 */
export function assessRun(phases: readonly MetricPhase[]): MetricPhase {
  const terminating = phases.some((p) => p === 'Failed' || p === 'Error' || p === 'Inconclusive');
  if (!terminating && phases.some((p) => p === 'Running')) return 'Running';
  let worst: MetricPhase = 'Successful';
  for (const p of phases) if (p !== 'Running' && isWorse(worst, p)) worst = p;
  return worst;
}

/** Argo's ValidateMetric rules, as messages per field (empty when valid). */
export function thresholdMetricProblems(m: {
  count?: number;
  intervalMs?: number;
  failureLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
}): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const count = m.count ?? 0;
  if (count > 0 && count < (m.failureLimit ?? 0)) out.push({ field: 'count', message: `count ${count} must be ≥ failureLimit ${m.failureLimit ?? 0}: otherwise the metric could never fail` });
  if (count > 0 && count < (m.inconclusiveLimit ?? 0)) {
    out.push({ field: 'count', message: `count ${count} must be ≥ inconclusiveLimit ${m.inconclusiveLimit ?? 0}: otherwise the metric could never be inconclusive` });
  }
  if (count > 1 && m.intervalMs === undefined) out.push({ field: 'interval', message: `interval must be set when count > 1 (count is ${count}), e.g. interval: 10s` });
  return out;
}

/** Parses the two conditions of a metric, naming the field at fault. */
export function parseConditions(raw: { successCondition?: string; failureCondition?: string }): Pick<ThresholdMetric, 'successCondition' | 'failureCondition'> {
  return {
    ...(raw.successCondition !== undefined ? { successCondition: parseCondition(raw.successCondition) } : {}),
    ...(raw.failureCondition !== undefined ? { failureCondition: parseCondition(raw.failureCondition) } : {}),
  };
}
