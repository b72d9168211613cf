import { SlipwayError } from '../../core/index.js';
import { classifyMetric, type ClassifierOptions, type MetricConfig, type MetricResult } from './classify.js';

export interface JudgeConfig extends ClassifierOptions {
  readonly metrics: readonly MetricConfig[];
  /** Weight per group in percent; groups without a weight share what is left of 100 equally. */
  readonly groupWeights?: Readonly<Record<string, number>>;
  /** Score (0–100) at or above which the canary passes. */
  readonly pass: number;
  /** Score at or above which the canary is marginal (below `pass`); under it, it fails. */
  readonly marginal: number;
}

/** Canary and baseline samples per metric name. */
export type MetricSamples = Readonly<Record<string, { readonly canary: readonly number[]; readonly baseline: readonly number[] }>>;

export type JudgeVerdict = 'pass' | 'marginal' | 'fail' | 'too-little-data';

export interface GroupScore {
  readonly name: string;
  /** Percent of the group's metrics that pass. */
  readonly score: number;
  readonly weight: number;
  readonly passed: number;
  readonly total: number;
}

export interface JudgeResult {
  readonly verdict: JudgeVerdict;
  /** 0–100. */
  readonly score: number;
  readonly reason: string;
  readonly groups: readonly GroupScore[];
  readonly metrics: readonly MetricResult[];
}

function checkConfig(config: JudgeConfig): void {
  if (!(config.pass >= 0 && config.pass <= 100) || !(config.marginal >= 0 && config.marginal <= config.pass)) {
    throw new SlipwayError(
      'SPEC_FIELD',
      `canary judge thresholds pass ${config.pass} and marginal ${config.marginal} are invalid: both are scores 0–100 with marginal ≤ pass (e.g. pass 95, marginal 75)`,
      { field: 'pass' },
    );
  }
  const weights = Object.entries(config.groupWeights ?? {});
  let sum = 0;
  for (const [group, w] of weights) {
    if (!(w >= 0)) throw new SlipwayError('SPEC_FIELD', `canary judge group ${group} has weight ${w}: use a percentage ≥ 0`, { field: `groupWeights.${group}` });
    sum += w;
  }
  if (sum > 100 + 1e-9) {
    throw new SlipwayError('SPEC_FIELD', `canary judge group weights add up to ${sum}, more than 100: make them percentages that sum to at most 100`, { field: 'groupWeights' });
  }
}

/**
 * Scores group by group as Kayenta's WeightedSumScorer: a group's score is the percent of its
 * metrics that pass; the summary is the weighted sum of group scores. Any failing critical
 * metric makes the score 0.
 */
export function scoreMetrics(results: readonly MetricResult[], groupWeights: Readonly<Record<string, number>> = {}): { score: number; groups: GroupScore[]; criticalFailed: MetricResult[] } {
  const byGroup = new Map<string, { passed: number; total: number }>();
  for (const r of results) {
    for (const g of r.groups) {
      const entry = byGroup.get(g) ?? { passed: 0, total: 0 };
      entry.total += 1;
      if (r.classification === 'Pass') entry.passed += 1;
      byGroup.set(g, entry);
    }
  }
  const weighted = Object.values(groupWeights).reduce((a, b) => a + b, 0);
  const unweighted = [...byGroup.keys()].filter((g) => groupWeights[g] === undefined);
  const share = unweighted.length > 0 ? (100 - weighted) / unweighted.length : 0;
  const groups: GroupScore[] = [...byGroup.entries()].map(([name, { passed, total }]) => ({
    name,
    score: (passed / total) * 100,
    weight: groupWeights[name] ?? share,
    passed,
    total,
  }));
  const criticalFailed = results.filter((r) => r.critical && r.classification !== 'Pass');
  const sum = groups.reduce((acc, g) => acc + (g.score * g.weight) / 100, 0);
  return { score: criticalFailed.length > 0 ? 0 : sum, groups, criticalFailed };
}

/** Judges a canary against its baseline over every configured metric. */
export function judgeCanary(config: JudgeConfig, samples: MetricSamples): JudgeResult {
  checkConfig(config);
  const metrics = config.metrics.map((m) => {
    const s = samples[m.name] ?? { canary: [], baseline: [] };
    return classifyMetric(m, s.canary, s.baseline, config);
  });
  const { score, groups, criticalFailed } = scoreMetrics(metrics, config.groupWeights);
  const failing = metrics.filter((m) => m.classification === 'High' || m.classification === 'Low' || m.classification === 'NodataFailMetric');
  const tooFew = metrics.filter((m) => m.classification === 'TooFewSamples');
  const rounded = Number(score.toFixed(2));

  if (criticalFailed.length > 0 && criticalFailed.some((m) => m.classification !== 'TooFewSamples')) {
    const names = criticalFailed.filter((m) => m.classification !== 'TooFewSamples').map((m) => m.reason);
    return { verdict: 'fail', score: 0, reason: `critical metric failed, score 0: ${names.join('; ')}`, groups, metrics };
  }
  if (tooFew.length > 0) {
    return {
      verdict: 'too-little-data',
      score: rounded,
      reason: `too little data to judge ${tooFew.length} of ${metrics.length} metrics: ${tooFew.map((m) => m.reason).join('; ')}`,
      groups,
      metrics,
    };
  }
  const summary = `score ${rounded} (pass ≥ ${config.pass}, marginal ≥ ${config.marginal}); ${metrics.length - failing.length} of ${metrics.length} metrics pass`;
  const detail = failing.length > 0 ? `: ${failing.map((m) => m.reason).join('; ')}` : '';
  if (score >= config.pass) return { verdict: 'pass', score: rounded, reason: summary + detail, groups, metrics };
  if (score >= config.marginal) return { verdict: 'marginal', score: rounded, reason: summary + detail, groups, metrics };
  return { verdict: 'fail', score: rounded, reason: summary + detail, groups, metrics };
}
