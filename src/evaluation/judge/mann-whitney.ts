import { normalCdf, normalQuantile } from './normal.js';

/**
 * The two-sample Mann-Whitney U test (Wilcoxon rank-sum), two-sided, by the normal
 * approximation with tie and continuity correction, plus the Hodges-Lehmann estimate of the
 * location shift with its confidence interval found the way R's `wilcox.test(conf.int = TRUE)`
 * and Kayenta's MannWhitney do: the shift d at which the corrected z statistic of
 * (canary − d) against baseline crosses ±z(1 − α/2).
 */
export interface MannWhitneyResult {
  /** U of the canary: pairs (canary, baseline) where canary is larger, ties counting one half. */
  readonly u: number;
  /** The corrected z statistic of U (positive: the canary tends to be larger). */
  readonly z: number;
  /** Two-sided p-value. 1 when every value is tied. */
  readonly pValue: number;
  /** Hodges-Lehmann estimate of canary − baseline: the median of all pairwise differences. */
  readonly estimate: number;
  /** Confidence interval of the shift at `confidenceLevel`. */
  readonly lower: number;
  readonly upper: number;
  readonly confidenceLevel: number;
}

interface RankStat {
  readonly w: number;
  readonly sigma: number;
}

/** U of `x` against `y` (average ranks for ties) and the tie-corrected standard deviation of U. */
function rankStat(x: readonly number[], y: readonly number[]): RankStat {
  const n = x.length;
  const m = y.length;
  const all: { v: number; fromX: boolean }[] = [];
  for (const v of x) all.push({ v, fromX: true });
  for (const v of y) all.push({ v, fromX: false });
  all.sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    const rank = (i + 1 + j + 1) / 2;
    for (let k = i; k <= j; k++) if (all[k]!.fromX) rankSumX += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const w = rankSumX - (n * (n + 1)) / 2;
  const total = n + m;
  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  return { w, sigma: Math.sqrt(Math.max(variance, 0)) };
}

/** The continuity-corrected z of U: (U − nm/2 − sign·½) / σ. */
function correctedZ(stat: RankStat, n: number, m: number): number {
  if (stat.sigma === 0) return 0;
  const dz = stat.w - (n * m) / 2;
  const correction = Math.sign(dz) * 0.5;
  return (dz - correction) / stat.sigma;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Above this many pairs the median difference is found by search instead of listing every pair. */
const LISTED_PAIRS_LIMIT = 250_000;

/** Median of all canary − baseline differences. */
export function hodgesLehmann(canary: readonly number[], baseline: readonly number[]): number {
  if (canary.length === 0 || baseline.length === 0) return Number.NaN;
  const pairs = canary.length * baseline.length;
  if (pairs > LISTED_PAIRS_LIMIT) return medianDifferenceBySearch(canary, baseline);
  const diffs: number[] = [];
  for (const c of canary) for (const b of baseline) diffs.push(c - b);
  diffs.sort((a, b) => a - b);
  return median(diffs);
}

/**
 * Index of the first baseline value b (sorted ascending) with c − b ≤ d. Floating-point
 * subtraction is monotone, so the test is the difference itself: counting and picking the
 * k-th difference agree exactly with what listing the pairs would give.
 */
function firstAtMost(sorted: readonly number[], c: number, d: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c - sorted[mid]! > d) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The median of canary − baseline differences without listing the n·m pairs (a minute of
 * router samples on each side is already millions of pairs): bisection on the value d for the
 * k-th smallest difference, counting pairs c − b ≤ d with one binary search per canary value.
 */
export function medianDifferenceBySearch(canary: readonly number[], baseline: readonly number[]): number {
  const b = [...baseline].sort((x, y) => x - y);
  const total = canary.length * b.length;
  const countAtMost = (d: number): number => {
    let count = 0;
    for (const c of canary) count += b.length - firstAtMost(b, c, d);
    return count;
  };
  /** The largest actual difference ≤ d: the k-th smallest once d is pinned down. */
  const largestAtMost = (d: number): number => {
    let best = Number.NEGATIVE_INFINITY;
    for (const c of canary) {
      const i = firstAtMost(b, c, d);
      if (i < b.length && c - b[i]! > best) best = c - b[i]!;
    }
    return best;
  };
  const kth = (k: number): number => {
    // lo: below every difference (count 0); hi: the largest difference (count n·m).
    let lo = Math.min(...canary) - b[b.length - 1]!;
    lo -= Math.max(1, Math.abs(lo));
    let hi = Math.max(...canary) - b[0]!;
    while (true) {
      const mid = lo + (hi - lo) / 2;
      if (mid === lo || mid === hi) break;
      if (countAtMost(mid) >= k) hi = mid;
      else lo = mid;
    }
    return largestAtMost(hi);
  };
  const half = Math.floor(total / 2);
  return total % 2 === 1 ? kth(half + 1) : (kth(half) + kth(half + 1)) / 2;
}

/**
 * The shift d where z(canary − d, baseline) − target changes sign. z falls as d grows, so
 * bisection over [min difference, max difference] finds the step; ends are returned when
 * the target lies outside what the data can reach (as R and Kayenta do).
 */
function shiftWhereZIs(canary: readonly number[], baseline: readonly number[], target: number): number {
  const n = canary.length;
  const m = baseline.length;
  const f = (d: number): number => correctedZ(rankStat(canary.map((v) => v - d), baseline), n, m) - target;
  let lo = Math.min(...canary) - Math.max(...baseline);
  let hi = Math.max(...canary) - Math.min(...baseline);
  if (f(lo) <= 0) return lo;
  if (f(hi) >= 0) return hi;
  // 200 halvings reach the resolution of a double for any range that is finite.
  for (let i = 0; i < 200 && hi - lo > Math.abs(hi) * 1e-12 + 1e-300; i++) {
    const mid = lo + (hi - lo) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

/**
 * Runs the test. Both samples must be non-empty and free of NaN (the classifier removes NaN
 * first). `confidenceLevel` is in (0, 1).
 */
export function mannWhitney(canary: readonly number[], baseline: readonly number[], confidenceLevel = 0.98): MannWhitneyResult {
  const n = canary.length;
  const m = baseline.length;
  const stat = rankStat(canary, baseline);
  const z = correctedZ(stat, n, m);
  const pValue = stat.sigma === 0 ? 1 : Math.min(1, 2 * normalCdf(-Math.abs(z)));
  const estimate = hodgesLehmann(canary, baseline);
  let lower = estimate;
  let upper = estimate;
  if (stat.sigma !== 0) {
    const zq = normalQuantile(1 - (1 - confidenceLevel) / 2);
    lower = shiftWhereZIs(canary, baseline, zq);
    upper = shiftWhereZIs(canary, baseline, -zq);
  }
  return { u: stat.w, z, pValue, estimate, lower, upper, confidenceLevel };
}
