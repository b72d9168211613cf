/**
 * Threshold analysis, Argo Rollouts' rule book: each case names the Argo behaviour it pins
 * (analysis/analysis.go assessMetricStatus and asssessRunStatus, utils/evaluate EvaluateResult).
 */
import { describe, expect, it } from 'vitest';
import {
  assessMetric,
  assessRun,
  emptyTally,
  evaluateCondition,
  measurementPhase,
  parseCondition,
  parseConditions,
  tallyMeasurement,
  thresholdMetricProblems,
  type MeasurementPhase,
  type MetricTally,
  type ThresholdMetric,
} from '../../src/evaluation/index.js';
import { isSlipwayError } from '../../src/core/index.js';

const holds = (text: string, result: number) => evaluateCondition(parseCondition(text), result);

function tally(phases: MeasurementPhase[]): MetricTally {
  return phases.reduce(tallyMeasurement, emptyTally());
}

function metric(over: Partial<ThresholdMetric> & { success?: string; failure?: string } = {}): ThresholdMetric {
  const { success, failure, ...rest } = over;
  return { name: 'm', count: 5, ...parseConditions({ ...(success ? { successCondition: success } : {}), ...(failure ? { failureCondition: failure } : {}) }), ...rest };
}

describe('conditions', () => {
  it('compare result with numbers with every operator, either side', () => {
    expect(holds('result < 0.01', 0.005)).toBe(true);
    expect(holds('result < 0.01', 0.01)).toBe(false);
    expect(holds('result <= 0.01', 0.01)).toBe(true);
    expect(holds('result > 5', 6)).toBe(true);
    expect(holds('result >= 0.95', 0.95)).toBe(true);
    expect(holds('result == 3', 3)).toBe(true);
    expect(holds('result != 3', 3)).toBe(false);
    expect(holds('0.5 < result', 0.7)).toBe(true);
    expect(holds('result > -1e-3', 0)).toBe(true);
  });

  it('join with && and || (&& binds tighter), negate with !, group with parentheses', () => {
    expect(holds('result >= 0.9 && result <= 1', 0.95)).toBe(true);
    expect(holds('result >= 0.9 && result <= 1', 1.2)).toBe(false);
    expect(holds('result < 1 || result > 10 && result < 20', 15)).toBe(true);
    expect(holds('(result < 1 || result > 10) && result < 20', 25)).toBe(false);
    expect(holds('!(result < 1)', 2)).toBe(true);
  });

  it('read result[0] as result (Argo examples index the vector) and test NaN with isNaN', () => {
    expect(holds('result[0] < 0.01', 0)).toBe(true);
    expect(holds('isNaN(result)', NaN)).toBe(true);
    expect(holds('isNaN(result) || result < 1', NaN)).toBe(true);
    // NaN compares false, as in Go.
    expect(holds('result < 1', NaN)).toBe(false);
    expect(holds('result >= 1', NaN)).toBe(false);
  });

  it.each([
    ['', /is empty/],
    ['result', /compares nothing/],
    ['result < ', /ends where a value was expected/],
    ['result << 1', /expected `result` or a number, got "<"/],
    ['result => 1', /unexpected "=" at character 8/],
    ['result < 0.01 and result > 0', /unexpected "and"/],
    ['results < 1', /expected a comparison operator|unexpected/],
    ['(result < 1', /parenthesis is not closed/],
    ['1 < 2', /two numbers/],
    ['result < 1 result > 0', /after a complete condition/],
    ['len(result) == 0', /unexpected "len/],
  ])('refuse %j with a clear message', (text, why) => {
    let err: unknown;
    try {
      parseCondition(text);
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err)).toBe(true);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toContain('result < 0.01');
  });
});

describe('a measurement (EvaluateResult)', () => {
  it('with both conditions: failure wins when both hold; neither holding is Inconclusive', () => {
    const both = metric({ success: 'result < 0.05', failure: 'result > 0.01' });
    expect(measurementPhase(both, 0.005)).toBe('Successful');
    expect(measurementPhase(both, 0.03)).toBe('Failed');
    expect(measurementPhase(both, 0.2)).toBe('Failed');
    const gap = metric({ success: 'result < 0.01', failure: 'result > 0.05' });
    expect(measurementPhase(gap, 0.03)).toBe('Inconclusive');
  });

  it('with only a success condition: not holding is Failed, never Inconclusive', () => {
    const m = metric({ success: 'result >= 0.95' });
    expect(measurementPhase(m, 0.99)).toBe('Successful');
    expect(measurementPhase(m, 0.5)).toBe('Failed');
  });

  it('with only a failure condition: not holding is Successful', () => {
    const m = metric({ failure: 'result > 0.05' });
    expect(measurementPhase(m, 0.01)).toBe('Successful');
    expect(measurementPhase(m, 0.06)).toBe('Failed');
  });

  it('with no condition: Successful', () => {
    expect(measurementPhase(metric(), 123)).toBe('Successful');
  });
});

describe('a metric (assessMetricStatus)', () => {
  it('fails only when failures exceed failureLimit (default 0: the first failure)', () => {
    expect(assessMetric(metric(), tally(['Successful', 'Failed']))).toBe('Failed');
    const m = metric({ failureLimit: 2 });
    expect(assessMetric(m, tally(['Failed', 'Failed']))).toBe('Running');
    expect(assessMetric(m, tally(['Failed', 'Failed', 'Failed']))).toBe('Failed');
  });

  it('is Successful at count even with failures within the limit', () => {
    const m = metric({ count: 3, failureLimit: 1 });
    expect(assessMetric(m, tally(['Successful', 'Failed', 'Successful']))).toBe('Successful');
  });

  it('is Inconclusive when inconclusive measurements exceed inconclusiveLimit', () => {
    expect(assessMetric(metric(), tally(['Inconclusive']))).toBe('Inconclusive');
    const m = metric({ inconclusiveLimit: 1 });
    expect(assessMetric(m, tally(['Inconclusive']))).toBe('Running');
    expect(assessMetric(m, tally(['Inconclusive', 'Successful', 'Inconclusive']))).toBe('Inconclusive');
  });

  it('checks failures before inconclusive before errors', () => {
    const t: MetricTally = { count: 2, successful: 0, failed: 1, inconclusive: 1, error: 5, consecutiveError: 5 };
    expect(assessMetric(metric(), t)).toBe('Failed');
    expect(assessMetric(metric({ failureLimit: 1 }), t)).toBe('Inconclusive');
    expect(assessMetric(metric({ failureLimit: 1, inconclusiveLimit: 1 }), t)).toBe('Error');
  });

  it('errors only when consecutive errors exceed consecutiveErrorLimit (default 4); a good measurement resets the streak', () => {
    expect(assessMetric(metric(), tally(['Error', 'Error', 'Error', 'Error']))).toBe('Running');
    expect(assessMetric(metric(), tally(['Error', 'Error', 'Error', 'Error', 'Error']))).toBe('Error');
    expect(assessMetric(metric(), tally(['Error', 'Error', 'Error', 'Error', 'Successful', 'Error']))).toBe('Running');
    expect(assessMetric(metric({ consecutiveErrorLimit: 0 }), tally(['Error']))).toBe('Error');
  });

  it('does not count errors toward count', () => {
    const m = metric({ count: 2 });
    const t = tally(['Successful', 'Error']);
    expect(t.count).toBe(1);
    expect(assessMetric(m, t)).toBe('Running');
    expect(assessMetric(m, tallyMeasurement(t, 'Successful'))).toBe('Successful');
  });

  it('counts as Successful when the run terminates before it finished', () => {
    expect(assessMetric(metric(), tally(['Successful']), true)).toBe('Successful');
    expect(assessMetric(metric(), emptyTally(), true)).toBe('Successful');
    expect(assessMetric(metric(), emptyTally(), false)).toBe('Running');
  });
});

describe('a run (asssessRunStatus)', () => {
  it('is the worst of its metrics: Failed > Error > Inconclusive > Successful', () => {
    expect(assessRun(['Successful', 'Successful'])).toBe('Successful');
    expect(assessRun(['Successful', 'Inconclusive'])).toBe('Inconclusive');
    expect(assessRun(['Inconclusive', 'Error'])).toBe('Error');
    expect(assessRun(['Error', 'Failed', 'Inconclusive'])).toBe('Failed');
  });

  it('runs while a metric runs, unless another already ended worse (then it terminates)', () => {
    expect(assessRun(['Successful', 'Running'])).toBe('Running');
    expect(assessRun(['Failed', 'Running'])).toBe('Failed');
    expect(assessRun(['Running', 'Inconclusive'])).toBe('Inconclusive');
  });
});

describe("Argo's validation", () => {
  it('count at least the limits; interval needed for more than one measurement', () => {
    expect(thresholdMetricProblems({ count: 2, failureLimit: 3 })[0]).toMatchObject({ field: 'count', message: expect.stringContaining('failureLimit 3') });
    expect(thresholdMetricProblems({ count: 2, inconclusiveLimit: 3, intervalMs: 1000 })[0]).toMatchObject({ field: 'count' });
    expect(thresholdMetricProblems({ count: 3 })[0]).toMatchObject({ field: 'interval' });
    expect(thresholdMetricProblems({ count: 3, intervalMs: 1000, failureLimit: 3 })).toEqual([]);
  });
});
