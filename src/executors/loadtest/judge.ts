/**
 * A level's verdict: fail when a figure crosses `thresholds`, warning when it crosses `warn`
 * or regresses against the previous release's figures at the same level, else pass. The
 * reason names the level and the figure: "fails at 5× (250 rps): p99 812 ms > 500 ms".
 */
import type { Result } from '../../core/index.js';
import type { LevelFigures } from './drive.js';
import type { Limits, Regression } from './spec.js';
import { describeLevel } from './spec.js';

export interface LevelVerdict {
  result: Result;
  /** Every figure that crossed a limit, worst first. */
  reasons: string[];
}

const pct = (share: number): string => `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 1)}%`;
const ms = (v: number): string => `${Math.round(v)} ms`;

/** Figures that cross `limits`, each as text ("p99 812 ms > 500 ms"). */
export function crossed(f: LevelFigures, limits: Limits): string[] {
  const out: string[] = [];
  if (limits.errorRate !== undefined && f.errorRate > limits.errorRate) out.push(`error rate ${pct(f.errorRate)} > ${pct(limits.errorRate)} (${f.errors} of ${f.requests})`);
  for (const k of ['p99Ms', 'p95Ms', 'p50Ms'] as const) {
    const limit = limits[k];
    if (limit !== undefined && f[k] > limit) out.push(`${k.slice(0, 3)} ${ms(f[k])} > ${ms(limit)}`);
  }
  if (limits.throughput !== undefined && f.throughput < limits.throughput * f.rps) out.push(`throughput ${f.throughput} rps < ${pct(limits.throughput)} of ${f.rps} rps`);
  return out;
}

/** Latency regressions smaller than this are noise on a fast service (1 ms → 2 ms is not a regression). */
const MIN_REGRESSION_MS = 10;

export function regressed(f: LevelFigures, previous: LevelFigures | undefined, r: Regression | undefined, release: string): string[] {
  if (!previous || !r) return [];
  const out: string[] = [];
  if (r.latency !== undefined && f.p99Ms > previous.p99Ms * r.latency && f.p99Ms - previous.p99Ms > MIN_REGRESSION_MS) {
    out.push(`p99 ${ms(f.p99Ms)} is ${(f.p99Ms / Math.max(previous.p99Ms, 0.1)).toFixed(1)}× the ${ms(previous.p99Ms)} of ${release} (at most ${r.latency}×)`);
  }
  if (r.errorRate !== undefined && f.errorRate - previous.errorRate > r.errorRate) {
    out.push(`error rate ${pct(f.errorRate)} vs ${pct(previous.errorRate)} for ${release} (up by at most ${pct(r.errorRate)})`);
  }
  return out;
}

export function judgeLevel(f: LevelFigures, o: { thresholds: Limits; warn: Limits; regression?: Regression | undefined; previous?: LevelFigures | undefined; previousRelease?: string | undefined }): LevelVerdict {
  const failing = crossed(f, o.thresholds);
  const regressions = regressed(f, o.previous, o.regression, o.previousRelease ?? 'the previous release');
  if (failing.length > 0 || (o.regression?.result === 'fail' && regressions.length > 0)) {
    return { result: 'fail', reasons: [...failing, ...(o.regression?.result === 'fail' ? regressions : [])] };
  }
  const warnings = [...crossed(f, o.warn), ...regressions];
  return warnings.length > 0 ? { result: 'warning', reasons: warnings } : { result: 'pass', reasons: [] };
}

/** One line for a level: "5× (250 rps): p50 3 ms, p95 9 ms, p99 14 ms, 0.0% errors, 249.6 rps served". */
export function levelLine(f: LevelFigures): string {
  return `${describeLevel(f.level, f.rps)}: p50 ${ms(f.p50Ms)}, p95 ${ms(f.p95Ms)}, p99 ${ms(f.p99Ms)}, ${pct(f.errorRate)} errors, ${f.throughput} rps served`;
}

/** The task's message: the first level that failed (or warned) and why, else a summary. */
export function summary(levels: readonly (LevelFigures & { result: Result; reasons: string[] })[], planned: number): { result: Result; message: string } {
  const failed = levels.find((l) => l.result === 'fail');
  if (failed) {
    const skipped = planned - levels.length;
    return { result: 'fail', message: `fails at ${describeLevel(failed.level, failed.rps)}: ${failed.reasons.join('; ')}${skipped > 0 ? ` (${skipped} higher level${skipped === 1 ? '' : 's'} not run)` : ''}` };
  }
  const warned = levels.filter((l) => l.result === 'warning');
  if (warned.length > 0) return { result: 'warning', message: warned.map((l) => `warning at ${describeLevel(l.level, l.rps)}: ${l.reasons.join('; ')}`).join('; ') };
  const top = levels.at(-1);
  return { result: 'pass', message: `passes ${levels.length} level${levels.length === 1 ? '' : 's'} up to ${top ? levelLine(top) : 'none'}` };
}
