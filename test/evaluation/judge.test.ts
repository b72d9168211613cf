import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  classifyMetric,
  hodgesLehmann,
  judgeCanary,
  mannWhitney,
  medianDifferenceBySearch,
  normalCdf,
  normalQuantile,
  type JudgeConfig,
} from '../../src/evaluation/index.js';
import { SlipwayError } from '../../src/core/index.js';

/** mulberry32: a tiny seeded PRNG, so every sample below is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n draws from N(mean, sd) by Box-Muller. */
function normal(rand: () => number, n: number, mean: number, sd: number): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const u1 = 1 - rand(); // (0, 1]: log stays finite
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out.push(mean + sd * r * Math.cos(2 * Math.PI * u2));
    if (out.length < n) out.push(mean + sd * r * Math.sin(2 * Math.PI * u2));
  }
  return out;
}

describe('normal distribution helpers', () => {
  it('match tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5); // the 0.98 two-sided quantile
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959964, 5);
  });
});

describe('Mann-Whitney U test', () => {
  it('computes U and the p-value of fully separated samples by hand', () => {
    // canary 1,2,3 against baseline 4,5,6: no canary value beats a baseline value, so U = 0.
    // E[U] = nm/2 = 4.5; Var U = nm(N+1)/12 = 9·7/12 = 5.25, σ = 2.29129.
    // z = (0 − 4.5 + 0.5 continuity) / 2.29129 = −1.74574; p = 2Φ(−1.74574) = 0.080856.
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    expect(r.z).toBeCloseTo(-1.74574, 5);
    expect(r.pValue).toBeCloseTo(0.080856, 5);
  });

  it('corrects the variance for ties by hand', () => {
    // canary 1,2,2,3 against baseline 2,3,3,4; a tie counts one half.
    // U: 1 → 0; each 2 → 0.5 (ties the baseline 2); 3 → 1 (beats 2) + 0.5 + 0.5 (ties the 3s) = 2. U = 3.
    // Ties in the pooled sample: 2 three times, 3 three times → Σ(t³ − t) = 24 + 24 = 48; N = 8.
    // Var U = 16/12 · (9 − 48/(8·7)) = 1.33333 · 8.142857 = 10.857143, σ = 3.295018.
    // z = (3 − 8 + 0.5) / 3.295018 = −1.365698; p = 2Φ(−1.365698) = 0.172034.
    const r = mannWhitney([1, 2, 2, 3], [2, 3, 3, 4]);
    expect(r.u).toBe(3);
    expect(r.z).toBeCloseTo(-1.365698, 5);
    expect(r.pValue).toBeCloseTo(0.172034, 5);
  });

  it('matches the published p-value of a 20 against 20 sample with ties', () => {
    // ClickHouse's mannWhitneyUTest test data (two-sided, continuity correction): U = 223, p = 0.5426959774289482.
    const a = [310, 195, 530, 155, 530, 245, 385, 450, 465, 545, 170, 180, 125, 180, 230, 75, 430, 480, 495, 295];
    const b = [116, 171, 176, 421, 111, 326, 481, 111, 346, 441, 261, 411, 206, 521, 456, 446, 296, 51, 426, 261];
    const r = mannWhitney(a, b, 0.95);
    expect(r.u).toBe(223);
    expect(r.pValue).toBeCloseTo(0.5426959774289482, 6);
  });

  it('is calibrated: on equal distributions about 2% of 0.98 intervals miss 0 and as many p-values fall below 0.02', () => {
    let missed = 0;
    let significant = 0;
    const seeds = 500;
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = prng(seed);
      const r = mannWhitney(normal(rand, 50, 100, 10), normal(rand, 50, 100, 10));
      if (r.lower > 0 || r.upper < 0) missed++;
      if (r.pValue < 0.02) significant++;
    }
    // Expected 10 of 500 (binomial sd ≈ 3.1); the bounds are wide enough to hold for any seed set.
    for (const count of [missed, significant]) {
      expect(count).toBeGreaterThanOrEqual(2);
      expect(count).toBeLessThanOrEqual(22);
    }
  });

  it('gives p = 1 when every value is tied', () => {
    expect(mannWhitney([5, 5, 5], [5, 5]).pValue).toBe(1);
  });

  it('is antisymmetric: swapping the samples mirrors U, z, the estimate and the interval', () => {
    const sample = fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 2, maxLength: 12 });
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const xy = mannWhitney(x, y);
        const yx = mannWhitney(y, x);
        expect(xy.u + yx.u).toBe(x.length * y.length);
        expect(xy.pValue).toBeCloseTo(yx.pValue, 12);
        expect(xy.estimate).toBeCloseTo(-yx.estimate, 9);
        expect(xy.lower).toBeCloseTo(-yx.upper, 6);
        expect(xy.lower).toBeLessThanOrEqual(xy.estimate + 1e-9);
        expect(xy.upper).toBeGreaterThanOrEqual(xy.estimate - 1e-9);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Hodges-Lehmann estimate', () => {
  it('is the median of pairwise differences', () => {
    // 1,2,3 − 4,5,6: −3 −4 −5 / −2 −3 −4 / −1 −2 −3 → sorted −5 −4 −4 −3 −3 −3 −2 −2 −1, median −3.
    expect(hodgesLehmann([1, 2, 3], [4, 5, 6])).toBe(-3);
    // 10,12 − 1: 9 and 11 → median 10.
    expect(hodgesLehmann([10, 12], [1])).toBe(10);
    // 1,2,3 − 4,5,6 at 98%: the interval is the whole range of differences [−5, −1] at n = m = 3.
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect([r.lower, r.estimate, r.upper]).toEqual([-5, -3, -1]);
  });

  it('finds the same median by search as by listing every pair', () => {
    const ints = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 15 });
    fc.assert(fc.property(ints, ints, (x, y) => medianDifferenceBySearch(x, y) === hodgesLehmann(x, y)), { numRuns: 300 });
    const floats = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 15 });
    fc.assert(fc.property(floats, floats, (x, y) => medianDifferenceBySearch(x, y) === hodgesLehmann(x, y)), { numRuns: 300 });
  });

  it('judges large samples (4,000,000 pairs) without listing the pairs', () => {
    const rand = prng(99);
    const r = mannWhitney(normal(rand, 2000, 103, 10), normal(rand, 2000, 100, 10));
    expect(r.estimate).toBeGreaterThan(2);
    expect(r.estimate).toBeLessThan(4);
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.upper).toBeGreaterThan(r.estimate);
  });

  it('finds a known shift inside its interval', () => {
    const rand = prng(7);
    const r = mannWhitney(normal(rand, 200, 110, 5), normal(rand, 200, 100, 5));
    expect(r.estimate).toBeGreaterThan(9);
    expect(r.estimate).toBeLessThan(11);
    expect(r.lower).toBeLessThan(10);
    expect(r.upper).toBeGreaterThan(10);
  });
});

const latency = { name: 'latency', critical: true, groups: ['latency'] } as const;

describe('canary judge', () => {
  it('passes equal distributions with a false-fail rate within the 0.98 confidence', () => {
    const seeds = 200;
    let fails = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = prng(seed);
      const r = classifyMetric(latency, normal(rand, 50, 100, 10), normal(rand, 50, 100, 10));
      if (r.classification !== 'Pass') fails++;
    }
    // At most 2% of two-sided intervals miss 0; Kayenta's tolerance bound only lowers that.
    expect(fails).toBeLessThanOrEqual(seeds * 0.02 + 4);
  });

  it('fails the canary with score 0 when a critical metric shifts by 20%', () => {
    const rand = prng(42);
    const config: JudgeConfig = { metrics: [latency, { name: 'errors', groups: ['errors'] }], pass: 95, marginal: 75 };
    const result = judgeCanary(config, {
      latency: { canary: normal(rand, 50, 120, 10), baseline: normal(rand, 50, 100, 10) },
      errors: { canary: normal(rand, 50, 5, 1), baseline: normal(rand, 50, 5, 1) },
    });
    expect(result.metrics[0]?.classification).toBe('High');
    expect(result.metrics[0]?.ratio).toBeGreaterThan(1.1);
    expect(result.verdict).toBe('fail');
    expect(result.score).toBe(0);
    expect(result.reason).toMatch(/critical metric failed.*latency is higher on the canary/);
  });

  it('classifies a significant drop as Low', () => {
    const rand = prng(3);
    const r = classifyMetric({ name: 'throughput' }, normal(rand, 50, 80, 10), normal(rand, 50, 100, 10));
    expect(r.classification).toBe('Low');
  });

  it('ignores an increase when only a decrease is bad', () => {
    const rand = prng(42);
    const canary = normal(rand, 50, 120, 10);
    const baseline = normal(rand, 50, 100, 10);
    expect(classifyMetric({ name: 'success-rate', direction: 'decrease' }, canary, baseline).classification).toBe('Pass');
    expect(classifyMetric({ name: 'success-rate', direction: 'increase' }, canary, baseline).classification).toBe('High');
  });

  it('tolerates a small shift within allowedIncrease', () => {
    const rand = prng(11);
    const canary = normal(rand, 100, 105, 5);
    const baseline = normal(rand, 100, 100, 5);
    expect(classifyMetric({ name: 'latency' }, canary, baseline).classification).toBe('High');
    expect(classifyMetric({ name: 'latency', allowedIncrease: 1.1 }, canary, baseline).classification).toBe('Pass');
  });

  it('says there are too few samples instead of passing', () => {
    const rand = prng(5);
    const result = judgeCanary({ metrics: [{ name: 'latency' }], pass: 95, marginal: 75 }, {
      latency: { canary: normal(rand, 4, 100, 10), baseline: normal(rand, 30, 100, 10) },
    });
    expect(result.metrics[0]?.classification).toBe('TooFewSamples');
    expect(result.verdict).toBe('too-little-data');
    expect(result.reason).toContain('4 canary and 30 baseline values, fewer than the 10 each side needs');
    const lowered = classifyMetric({ name: 'latency' }, normal(rand, 4, 100, 10), normal(rand, 4, 100, 10), { minSamples: 3 });
    expect(lowered.classification).toBe('Pass');
  });

  it('drops NaN values, passes a metric left without data unless it must have data', () => {
    const rand = prng(9);
    const withNaN = [...normal(rand, 20, 100, 10), Number.NaN, Number.NaN];
    const r = classifyMetric({ name: 'latency' }, withNaN, normal(rand, 20, 100, 10));
    expect(r.canaryCount).toBe(20);
    expect(r.classification).toBe('Pass');

    const empty = classifyMetric({ name: 'latency' }, [Number.NaN], normal(rand, 20, 100, 10));
    expect(empty).toMatchObject({ classification: 'Pass', noData: true });
    expect(empty.reason).toContain('no canary data');

    const required = classifyMetric({ name: 'latency', mustHaveData: true }, [Number.NaN], []);
    expect(required.classification).toBe('NodataFailMetric');
    expect(required.reason).toContain('no canary and baseline data and must have data');
  });

  it('passes identical and all-tied samples', () => {
    expect(classifyMetric({ name: 'm' }, Array(12).fill(3), Array(12).fill(3)).classification).toBe('Pass');
    const rand = prng(1);
    const s = normal(rand, 15, 10, 1);
    expect(classifyMetric({ name: 'm' }, s, [...s].reverse())).toMatchObject({ classification: 'Pass', ratio: 1 });
  });

  describe('scoring by group weight and thresholds', () => {
    // latency group (weight 60): p95 High, p50 Pass → 50; errors group (unweighted, gets 100 − 60 = 40): Pass → 100.
    // score = 50 · 0.60 + 100 · 0.40 = 70.
    const rand = prng(21);
    const samples = {
      p95: { canary: normal(rand, 50, 130, 10), baseline: normal(rand, 50, 100, 10) },
      p50: { canary: normal(rand, 50, 50, 5), baseline: normal(rand, 50, 50, 5) },
      errors: { canary: normal(rand, 50, 2, 0.5), baseline: normal(rand, 50, 2, 0.5) },
    };
    const metrics = [
      { name: 'p95', groups: ['latency'] },
      { name: 'p50', groups: ['latency'] },
      { name: 'errors', groups: ['errors'] },
    ];

    it('weights group scores', () => {
      const result = judgeCanary({ metrics, groupWeights: { latency: 60 }, pass: 95, marginal: 60 }, samples);
      expect(result.score).toBeCloseTo(70, 9);
      expect(result.groups).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'latency', score: 50, weight: 60 }),
          expect.objectContaining({ name: 'errors', score: 100, weight: 40 }),
        ]),
      );
      expect(result.verdict).toBe('marginal');
    });

    it('fails below the marginal threshold and passes at the pass threshold', () => {
      expect(judgeCanary({ metrics, groupWeights: { latency: 60 }, pass: 95, marginal: 75 }, samples).verdict).toBe('fail');
      expect(judgeCanary({ metrics, groupWeights: { latency: 60 }, pass: 70, marginal: 50 }, samples).verdict).toBe('pass');
    });

    it('splits the weight equally when no group has one', () => {
      // (50 + 100) / 2 = 75.
      expect(judgeCanary({ metrics, pass: 95, marginal: 75 }, samples)).toMatchObject({ score: 75, verdict: 'marginal' });
    });
  });

  it('refuses invalid thresholds and weights with the fix in the message', () => {
    expect(() => judgeCanary({ metrics: [], pass: 50, marginal: 80 }, {})).toThrow(SlipwayError);
    expect(() => judgeCanary({ metrics: [], pass: 50, marginal: 80 }, {})).toThrow(/marginal ≤ pass/);
    expect(() => judgeCanary({ metrics: [], groupWeights: { a: 70, b: 40 }, pass: 90, marginal: 50 }, {})).toThrow(/add up to 110/);
    expect(() => classifyMetric({ name: 'm' }, [1], [1], { confidenceLevel: 1.5 })).toThrow(/outside \(0, 1\)/);
  });
});
