/**
 * Scores measured SLI values against a Keptn SLO as the lighthouse does: an objective with pass
 * criteria earns its weight on pass, half on warning, nothing on fail; objectives without pass
 * criteria are info only; a failed key SLI fails the evaluation whatever the total.
 */
import { aggregate } from './slo-aggregate.js';
import type { AggregateFunction } from './slo-aggregate.js';
import { compare, relativeTarget } from './slo-criteria.js';
import type { Criterion } from './slo-criteria.js';
import type { IncludeResultWithScore, Slo, SloComparison, SloHistory, SloObjective, SloValues } from './slo-schema.js';

export type SloResult = 'pass' | 'warning' | 'fail';
export type ObjectiveStatus = 'pass' | 'warning' | 'fail' | 'info';

export interface TargetResult {
  criteria: string;
  /** Which list of the objective the criterion is in. */
  list: 'pass' | 'warning';
  /** Compared with earlier evaluations rather than a fixed number. */
  relative: boolean;
  /** The number the value was compared with; null for a relative criterion without comparison data (it passes). */
  target: number | null;
  violated: boolean;
}

export interface ComparedWith {
  /** This SLI's values in the earlier evaluations that were included, oldest first. */
  values: number[];
  aggregateFunction: AggregateFunction;
  /** null when there was nothing to compare with. */
  aggregate: number | null;
}

export interface ObjectiveResult {
  sli: string;
  displayName: string;
  keySli: boolean;
  weight: number;
  /** null when no value was measured (the objective fails). */
  value: number | null;
  score: number;
  status: ObjectiveStatus;
  targets: TargetResult[];
  /** Set when the objective has relative criteria. */
  comparedWith: ComparedWith | null;
  message?: string;
}

export interface SloEvaluation {
  /** Percent of the maximum achievable score, 0–100. */
  score: number;
  result: SloResult;
  /** Σ score and Σ weight over the scored objectives. */
  achieved: number;
  maximum: number;
  keySliFailed: boolean;
  objectives: ObjectiveResult[];
  /** Why the result is what it is, in words. */
  reason: string;
}

export function scoreSlo(slo: Slo, values: SloValues, history: SloHistory = []): SloEvaluation {
  const earlier = comparisonEvaluations(history, slo.comparison);
  const objectives = slo.objectives.map((o) => scoreObjective(o, values[o.sli], earlier, slo.comparison));
  // Only objectives with pass criteria count towards the maximum.
  const maximum = slo.objectives.reduce((sum, o) => sum + (o.pass.length > 0 ? o.weight : 0), 0);
  const achieved = objectives.reduce((sum, o) => sum + o.score, 0);
  const failedKeys = objectives.filter((o, i) => o.status === 'fail' && slo.objectives[i]!.keySli && o.value !== null);
  const keySliFailed = failedKeys.length > 0;
  if (maximum === 0) return { score: 100, result: 'pass', achieved, maximum, keySliFailed, objectives, reason: 'no objective has pass criteria: pass' };
  const score = (100 * achieved) / maximum;
  const { pass, warning } = slo.totalScore;
  const pct = `${round(score)}% (${achieved} of ${maximum})`;
  if (keySliFailed) return { score, result: 'fail', achieved, maximum, keySliFailed, objectives, reason: `key SLI ${failedKeys.map((o) => o.sli).join(', ')} failed; score ${pct}` };
  if (score >= pass) return { score, result: 'pass', achieved, maximum, keySliFailed, objectives, reason: `score ${pct} ≥ pass ${pass}%` };
  if (warning !== undefined && score >= warning) return { score, result: 'warning', achieved, maximum, keySliFailed, objectives, reason: `score ${pct} < pass ${pass}%, ≥ warning ${warning}%` };
  return { score, result: 'fail', achieved, maximum, keySliFailed, objectives, reason: `score ${pct} < ${warning === undefined ? `pass ${pass}%` : `warning ${warning}%`}` };
}

/** The last N evaluations whose result the comparison includes, oldest first. */
export function comparisonEvaluations(history: SloHistory, comparison: SloComparison): SloHistory {
  const included = history.filter((h) => includes(comparison.includeResultWithScore, h.result));
  return included.slice(Math.max(0, included.length - comparison.numberOfComparisonResults));
}

function includes(which: IncludeResultWithScore, result: SloResult): boolean {
  if (which === 'pass') return result === 'pass';
  if (which === 'pass_or_warn') return result === 'pass' || result === 'warning';
  return true;
}

function scoreObjective(o: SloObjective, value: number | undefined, earlier: SloHistory, comparison: SloComparison): ObjectiveResult {
  const hasRelative = [...o.pass, ...o.warning].some((list) => list.some((c) => c.relative));
  const previous = earlier.flatMap((h) => (h.values[o.sli] === undefined ? [] : [h.values[o.sli]!]));
  const agg = previous.length > 0 ? aggregate(previous, comparison.aggregateFunction) : null;
  const comparedWith = hasRelative ? { values: previous, aggregateFunction: comparison.aggregateFunction, aggregate: agg } : null;
  const base = { sli: o.sli, displayName: o.displayName, keySli: o.keySli, weight: o.weight, comparedWith };
  if (value === undefined) {
    return { ...base, value: null, score: 0, status: 'fail', targets: [], message: 'no value for this SLI' };
  }
  if (o.pass.length === 0) return { ...base, value, score: 0, status: 'info', targets: [] };
  const pass = anyList(o.pass, 'pass', value, agg);
  if (pass.met) return { ...base, value, score: o.weight, status: 'pass', targets: pass.targets };
  if (o.warning.length > 0) {
    const warn = anyList(o.warning, 'warning', value, agg);
    // The lighthouse lists warning targets before pass targets.
    const targets = [...warn.targets, ...pass.targets];
    if (warn.met) return { ...base, value, score: o.weight / 2, status: 'warning', targets };
    return { ...base, value, score: 0, status: 'fail', targets };
  }
  return { ...base, value, score: 0, status: 'fail', targets: pass.targets };
}

/** OR across lists, AND within a list; every criterion is still checked, to show each violation. */
function anyList(lists: readonly (readonly Criterion[])[], list: 'pass' | 'warning', value: number, agg: number | null): { met: boolean; targets: TargetResult[] } {
  const targets: TargetResult[] = [];
  let met = false;
  for (const criteria of lists) {
    let all = true;
    for (const c of criteria) {
      const t = check(c, list, value, agg);
      if (t.violated) all = false;
      targets.push(t);
    }
    if (all) met = true;
  }
  return { met, targets };
}

function check(c: Criterion, list: 'pass' | 'warning', value: number, agg: number | null): TargetResult {
  const base = { criteria: c.text, list, relative: c.relative };
  if (!c.relative) return { ...base, target: c.value, violated: !compare(value, c.operator, c.value) };
  // No comparison data: a relative criterion passes.
  if (agg === null) return { ...base, target: null, violated: false };
  const target = relativeTarget(c, agg);
  return { ...base, target, violated: !compare(value, c.operator, target) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
