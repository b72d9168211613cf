/**
 * The `checks.*` figures. `checks.slo_score_us`: microseconds to score a 20-objective Keptn
 * SLO (absolute and relative criteria, several_results over 10 comparison results), beside
 * the time to load the same slo.yaml text, which every evaluation pays too.
 */
import { stringify } from 'yaml';
import { scoreSlo, type SloHistory } from '../src/evaluation/index.js';
import { loadKeptnSlo } from '../src/spec/keptn-slo.js';
import { round } from './stats.js';

export interface SloScoreResult {
  objectives: number;
  comparisons: number;
  iterations: number;
  scoreUs: number;
  loadUs: number;
  result: string;
}

const OBJECTIVES = 20;
const COMPARISONS = 10;

function sloText(): string {
  const objectives = Array.from({ length: OBJECTIVES }, (_, i) => ({
    sli: `sli_${i}`,
    // Half absolute, half relative to the comparison results: both paths are timed.
    pass: [{ criteria: i % 2 === 0 ? [`<${600 + i}`] : ['<=+10%', `<${800 + i}`] }],
    warning: [{ criteria: [`<=${900 + i}`] }],
    weight: 1 + (i % 3),
    key_sli: i === 0,
  }));
  return stringify({
    spec_version: '1.0',
    comparison: { compare_with: 'several_results', number_of_comparison_results: COMPARISONS, include_result_with_score: 'pass', aggregate_function: 'p90' },
    objectives,
    total_score: { pass: '90%', warning: '75%' },
  });
}

const values = (shift: number) => Object.fromEntries(Array.from({ length: OBJECTIVES }, (_, i) => [`sli_${i}`, 500 + i + shift]));

function timeUs(iterations: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

export function measureSloScore(quick: boolean): SloScoreResult {
  const text = sloText();
  const slo = loadKeptnSlo(text, 'bench-slo.yaml');
  const history: SloHistory = Array.from({ length: COMPARISONS }, (_, i) => ({ result: 'pass', values: values(i) }));
  const now = values(3);
  // Quick: about 0.2 s of scoring and loading on a quiet machine; the full bench times 100,000.
  const iterations = quick ? 500 : 100_000;
  const result = scoreSlo(slo, now, history).result;
  const scoreUs = timeUs(iterations, () => scoreSlo(slo, now, history));
  const loadUs = timeUs(Math.round(iterations / 10), () => loadKeptnSlo(text, 'bench-slo.yaml'));
  return { objectives: OBJECTIVES, comparisons: COMPARISONS, iterations, scoreUs: round(scoreUs, 2), loadUs: round(loadUs, 1), result };
}
