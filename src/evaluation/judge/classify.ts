import { SlipwayError } from '../../core/index.js';
import { mannWhitney, type MannWhitneyResult } from './mann-whitney.js';

/** Which deviation of the canary is bad: a rise, a fall, or either. */
export type MetricDirection = 'increase' | 'decrease' | 'either';

/**
 * Pass, High (the canary is significantly higher), Low (significantly lower),
 * NodataFailMetric (no data left and `mustHaveData`), TooFewSamples (data, but fewer than
 * `minSamples` on a side: the judge will not call that a pass).
 */
export type MetricClassification = 'Pass' | 'High' | 'Low' | 'NodataFailMetric' | 'TooFewSamples';

export interface MetricConfig {
  readonly name: string;
  readonly direction?: MetricDirection;
  /** The canary may be this many times the baseline mean before High counts (default 1). */
  readonly allowedIncrease?: number;
  /** The canary may fall to this many times the baseline mean before Low counts (default 1). */
  readonly allowedDecrease?: number;
  /** A failing critical metric scores the whole canary 0. */
  readonly critical?: boolean;
  /** No data after NaN removal fails the metric instead of passing it. */
  readonly mustHaveData?: boolean;
  /** Groups the metric counts in (default: one group named "default"). */
  readonly groups?: readonly string[];
}

export interface ClassifierOptions {
  /** Confidence level of the interval (default 0.98, as NetflixACAJudge). */
  readonly confidenceLevel?: number;
  /** Fraction of |Hodges-Lehmann estimate| the interval must clear (default 0.25, as Kayenta). */
  readonly tolerance?: number;
  /** Samples each side needs after NaN removal (default 10). */
  readonly minSamples?: number;
}

export interface MetricResult {
  readonly name: string;
  readonly classification: MetricClassification;
  /** Why, in words. */
  readonly reason: string;
  /** Canary mean / baseline mean (1 for identical samples, NaN with no data). */
  readonly ratio: number;
  readonly critical: boolean;
  readonly groups: readonly string[];
  readonly canaryCount: number;
  readonly baselineCount: number;
  readonly noData: boolean;
  readonly test?: MannWhitneyResult;
}

export const JUDGE_DEFAULTS = { confidenceLevel: 0.98, tolerance: 0.25, minSamples: 10 } as const;

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function meanRatio(canary: readonly number[], baseline: readonly number[]): number {
  const c = mean(canary);
  const b = mean(baseline);
  if (b === 0) return c === 0 ? 1 : c > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return c / b;
}

function checkOptions(options: ClassifierOptions, metric: MetricConfig): Required<ClassifierOptions> {
  const o = { ...JUDGE_DEFAULTS, ...options };
  if (!(o.confidenceLevel > 0 && o.confidenceLevel < 1)) {
    throw new SlipwayError('SPEC_FIELD', `canary judge confidenceLevel ${o.confidenceLevel} is outside (0, 1): use e.g. 0.98`, { field: 'confidenceLevel' });
  }
  if (!(o.tolerance >= 0)) {
    throw new SlipwayError('SPEC_FIELD', `canary judge tolerance ${o.tolerance} is negative: use a fraction such as 0.25`, { field: 'tolerance' });
  }
  if (!Number.isInteger(o.minSamples) || o.minSamples < 1) {
    throw new SlipwayError('SPEC_FIELD', `canary judge minSamples ${o.minSamples} is not a positive integer: use e.g. 10`, { field: 'minSamples' });
  }
  for (const key of ['allowedIncrease', 'allowedDecrease'] as const) {
    const v = metric[key];
    if (v !== undefined && !(v > 0)) {
      throw new SlipwayError('SPEC_FIELD', `metric ${metric.name}: ${key} ${v} is not a positive ratio: use e.g. 1.1 (10% tolerated)`, { field: key });
    }
  }
  return o;
}

/**
 * Classifies one metric as Kayenta's MannWhitneyClassifier does. Canary and baseline are the
 * samples of the same time window; NaN values are dropped first.
 */
export function classifyMetric(
  metric: MetricConfig,
  canaryRaw: readonly number[],
  baselineRaw: readonly number[],
  options: ClassifierOptions = {},
): MetricResult {
  const o = checkOptions(options, metric);
  const canary = canaryRaw.filter((v) => !Number.isNaN(v));
  const baseline = baselineRaw.filter((v) => !Number.isNaN(v));
  const direction = metric.direction ?? 'either';
  const base = {
    name: metric.name,
    critical: metric.critical ?? false,
    groups: metric.groups && metric.groups.length > 0 ? metric.groups : ['default'],
    canaryCount: canary.length,
    baselineCount: baseline.length,
  };
  const counts = `${canary.length} canary and ${baseline.length} baseline values`;

  if (canary.length === 0 || baseline.length === 0) {
    const empty = canary.length === 0 ? (baseline.length === 0 ? 'canary and baseline' : 'canary') : 'baseline';
    return metric.mustHaveData
      ? { ...base, classification: 'NodataFailMetric', ratio: Number.NaN, noData: true, reason: `metric ${metric.name} has no ${empty} data and must have data` }
      : { ...base, classification: 'Pass', ratio: Number.NaN, noData: true, reason: `metric ${metric.name} has no ${empty} data; passing it since mustHaveData is off` };
  }
  if (canary.length < o.minSamples || baseline.length < o.minSamples) {
    return {
      ...base,
      classification: 'TooFewSamples',
      ratio: meanRatio(canary, baseline),
      noData: false,
      reason: `metric ${metric.name} has ${counts}, fewer than the ${o.minSamples} each side needs to judge: wait longer or send more traffic to the canary`,
    };
  }
  const sortedC = [...canary].sort((a, b) => a - b);
  const sortedB = [...baseline].sort((a, b) => a - b);
  if (sortedC.length === sortedB.length && sortedC.every((v, i) => v === sortedB[i])) {
    return { ...base, classification: 'Pass', ratio: 1, noData: false, reason: `metric ${metric.name}: canary and baseline values are identical` };
  }
  if (sortedC[0] === sortedC[sortedC.length - 1] && sortedB[0] === sortedB[sortedB.length - 1] && sortedC[0] === sortedB[0]) {
    return { ...base, classification: 'Pass', ratio: 1, noData: false, reason: `metric ${metric.name}: every value is ${sortedC[0]}` };
  }

  const test = mannWhitney(canary, baseline, o.confidenceLevel);
  const ratio = meanRatio(canary, baseline);
  const bound = o.tolerance * Math.abs(test.estimate);
  const allowedIncrease = metric.allowedIncrease ?? 1;
  const allowedDecrease = metric.allowedDecrease ?? 1;
  const pct = `${(o.confidenceLevel * 100).toFixed(0)}%`;
  const interval = `${pct} interval of the shift [${fmt(test.lower)}, ${fmt(test.upper)}], mean ratio ${fmt(ratio)}`;
  if ((direction === 'increase' || direction === 'either') && test.lower > bound && ratio > allowedIncrease) {
    return { ...base, classification: 'High', ratio, noData: false, test, reason: `metric ${metric.name} is higher on the canary: ${interval} above the allowed ${fmt(allowedIncrease)}` };
  }
  if ((direction === 'decrease' || direction === 'either') && test.upper < -bound && ratio < allowedDecrease) {
    return { ...base, classification: 'Low', ratio, noData: false, test, reason: `metric ${metric.name} is lower on the canary: ${interval} below the allowed ${fmt(allowedDecrease)}` };
  }
  return { ...base, classification: 'Pass', ratio, noData: false, test, reason: `metric ${metric.name} passes: ${interval}` };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
