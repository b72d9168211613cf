/**
 * A `deploy` task's properties, checked once and turned into a plan: a list of steps the
 * executor walks through, resumable at any step after a restart.
 *
 * strategy: direct      start the new version in the idle slot, switch all traffic, retire the old
 * strategy: blue-green  start it in the idle slot and stop; a `release` task switches (the old slot stays warm)
 * strategy: canary      start it in the idle slot, then `steps`: setWeight N / pause D / analysis, then 100%
 * strategy: dark        start it in the idle slot and mirror `mirror` of live traffic to it for `darkFor`
 */
import { MAX_DURATION_MS, MIN_DURATION_MS, parseDurationMs } from '../duration.js';
import type { Problem, Properties } from '../properties.js';
import { describe } from '../properties.js';
import type { JudgeSpec, ThresholdMetricSpec } from './analysis-spec.js';
import { judgeOf, thresholdMetricsOf } from './analysis-spec.js';

export type Strategy = 'direct' | 'blue-green' | 'canary' | 'dark';
export const STRATEGIES: readonly Strategy[] = ['direct', 'blue-green', 'canary', 'dark'];

export interface Analysis {
  /** Highest share of failed requests (5xx) the new version may have, 0..1. */
  maxErrorRate: number;
  /** Fewer requests than this in the window cannot judge: the analysis fails closed unless `inconclusive: pass`. */
  minRequests: number;
  inconclusive: 'pass' | 'fail';
  /** Whether the error-rate check above runs: always without judge or metrics, else only when its fields are set. */
  errorRateCheck: boolean;
  /** The canary against the baseline slot, metric by metric (Kayenta's judge). */
  judge?: JudgeSpec;
  /** Argo Rollouts' threshold analysis. */
  metrics?: ThresholdMetricSpec[];
  /** Prometheus's base URL for metrics with provider prometheus. */
  prometheus?: string;
}

export type Step =
  | { kind: 'deploy' }
  | { kind: 'setWeight'; weight: number }
  | { kind: 'pause'; ms: number }
  | { kind: 'analysis'; analysis: Analysis }
  | { kind: 'mirror'; share: number }
  | { kind: 'switch' }
  | { kind: 'retireOld' };

export interface Plan {
  strategy: Strategy;
  target: string;
  steps: Step[];
}

const DEFAULT_ANALYSIS: Analysis = { maxErrorRate: 0.05, minRequests: 20, inconclusive: 'fail', errorRateCheck: true };
const DEFAULT_CANARY = [{ setWeight: 10 }, { pause: '30s' }, { analysis: {} }, { setWeight: 50 }, { pause: '30s' }, { analysis: {} }];

function analysisOf(raw: unknown, field: string, problems: Problem[]): Analysis {
  const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const out = { ...DEFAULT_ANALYSIS };
  if (a['maxErrorRate'] !== undefined) {
    const v = Number(a['maxErrorRate']);
    if (!(v >= 0 && v <= 1)) problems.push({ field: `${field}.maxErrorRate`, message: `maxErrorRate is a share from 0 to 1, got ${describe(a['maxErrorRate'])}` });
    else out.maxErrorRate = v;
  }
  if (a['minRequests'] !== undefined) {
    const v = Number(a['minRequests']);
    if (!(Number.isInteger(v) && v >= 0)) problems.push({ field: `${field}.minRequests`, message: `minRequests is a whole number, got ${describe(a['minRequests'])}` });
    else out.minRequests = v;
  }
  if (a['inconclusive'] !== undefined) {
    if (a['inconclusive'] !== 'pass' && a['inconclusive'] !== 'fail') problems.push({ field: `${field}.inconclusive`, message: `inconclusive is pass or fail, got ${describe(a['inconclusive'])}` });
    else out.inconclusive = a['inconclusive'];
  }
  if (a['prometheus'] !== undefined) {
    if (typeof a['prometheus'] !== 'string' || !/^(https?:\/\/|\$\{secret:)/.test(a['prometheus'])) {
      problems.push({ field: `${field}.prometheus`, message: `prometheus is the server's base URL such as http://127.0.0.1:9090, got ${describe(a['prometheus'])}` });
    } else out.prometheus = a['prometheus'];
  }
  if (a['judge'] !== undefined) {
    const judge = judgeOf(a['judge'], `${field}.judge`, problems, out.prometheus);
    if (judge) out.judge = judge;
  }
  if (a['metrics'] !== undefined) out.metrics = thresholdMetricsOf(a['metrics'], `${field}.metrics`, problems, out.prometheus);
  if (a['judge'] !== undefined || a['metrics'] !== undefined) out.errorRateCheck = a['maxErrorRate'] !== undefined || a['minRequests'] !== undefined;
  return out;
}

function canarySteps(raw: unknown, problems: Problem[]): Step[] {
  const list = raw === undefined ? DEFAULT_CANARY : raw;
  if (!Array.isArray(list)) {
    problems.push({ field: 'steps', message: `steps is a list such as [{setWeight: 10}, {pause: 5m}, {analysis: {}}], got ${describe(raw)}` });
    return [];
  }
  return list.flatMap((item: unknown, i): Step[] => {
    const s = (item ?? {}) as Record<string, unknown>;
    const field = `steps[${i}]`;
    if ('setWeight' in s) {
      const w = Number(s['setWeight']);
      if (!(Number.isInteger(w) && w >= 0 && w <= 100)) problems.push({ field: `${field}.setWeight`, message: `setWeight is a percentage 0-100, got ${describe(s['setWeight'])}` });
      return [{ kind: 'setWeight', weight: w }];
    }
    if ('pause' in s) {
      const ms = parseDurationMs(s['pause']);
      if (ms === undefined) problems.push({ field: `${field}.pause`, message: `pause is a duration such as 30s or 5m, got ${describe(s['pause'])}` });
      else if (ms > MAX_DURATION_MS) problems.push({ field: `${field}.pause`, message: `pause ${describe(s['pause'])} is longer than one year; a pause lasts 0 to 365d` });
      return [{ kind: 'pause', ms: ms ?? 0 }];
    }
    if ('analysis' in s) return [{ kind: 'analysis', analysis: analysisOf(s['analysis'], `${field}.analysis`, problems) }];
    problems.push({ field, message: `a canary step is {setWeight: N}, {pause: D} or {analysis: {...}}, got ${describe(item)}` });
    return [];
  });
}

export function planOf(props: Properties): { plan: Plan; problems: Problem[] } {
  const problems: Problem[] = [];
  const strategy = (props['strategy'] ?? 'direct') as Strategy;
  if (!STRATEGIES.includes(strategy)) problems.push({ field: 'strategy', message: `strategy is one of ${STRATEGIES.join(', ')}, got ${describe(props['strategy'])}` });
  const target = typeof props['target'] === 'string' ? props['target'] : 'local';
  let steps: Step[] = [{ kind: 'deploy' }];
  if (strategy === 'direct') steps.push({ kind: 'switch' }, { kind: 'retireOld' });
  if (strategy === 'canary') steps.push(...canarySteps(props['steps'], problems), { kind: 'switch' }, { kind: 'retireOld' });
  if (strategy === 'dark') {
    const share = props['mirror'] === undefined ? 0.1 : Number(props['mirror']);
    if (!(share > 0 && share <= 1)) problems.push({ field: 'mirror', message: `mirror is the share of live traffic copied to the new version, 0 < share <= 1, got ${describe(props['mirror'])}` });
    const ms = parseDurationMs(props['darkFor'] ?? '1m');
    if (ms === undefined) problems.push({ field: 'darkFor', message: `darkFor is a duration such as 5m, got ${describe(props['darkFor'])}` });
    else if (ms < MIN_DURATION_MS || ms > MAX_DURATION_MS) problems.push({ field: 'darkFor', message: `darkFor ${describe(props['darkFor'])} is out of bounds; a dark launch lasts 1s to 365d` });
    steps.push({ kind: 'mirror', share }, { kind: 'pause', ms: ms ?? 0 }, { kind: 'analysis', analysis: analysisOf(props['analysis'], 'analysis', problems) }, { kind: 'mirror', share: 0 });
  }
  if (strategy !== 'canary' && props['steps'] !== undefined) problems.push({ field: 'steps', message: `steps apply to strategy canary only (strategy is ${strategy})` });
  if (problems.length > 0) steps = [];
  return { plan: { strategy, target, steps }, problems };
}
