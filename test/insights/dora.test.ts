/** The DORA arithmetic without I/O: each expected value is worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import { changeFailRate, cycleTimes, deploymentFrequency, leadTime, median, outcomes, recoveryTime, reworkRate, type Arrival, type Deployment } from '../../src/insights/index.js';

const H = 3_600_000;
const D = 24 * H;
/** Monday 5 January 2026, 00:00 UTC. */
const MON = Date.UTC(2026, 0, 5);
const at = (day: number, hour = 12): number => MON + day * D + hour * H;

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeUndefined();
    expect(median([5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5); // 1 2 | 3 4 → (2 + 3) / 2
    expect(median([9, 1, 5])).toBe(5);
  });
});

describe('deployment frequency', () => {
  // Four weeks, Monday 5 January to Monday 2 February 2026, all in January.
  const to = MON + 28 * D;
  // Week 1: Mon (twice), Tue, Wed → 3 days; week 2: Thu → 1; week 3: none; week 4: Mon, Fri, Sat → 3.
  const weekly = [at(0, 9), at(0, 15), at(1), at(2), at(10), at(21), at(25), at(26)];

  it('counts per day over the window and buckets weekly when the median week deploys but on fewer than 3 days', () => {
    const f = deploymentFrequency(weekly, MON, to);
    expect(f.deployments).toBe(8);
    expect(f.perDay).toBeCloseTo(8 / 28, 12);
    expect(f.weeks).toBe(4);
    // Deploy days per week 3, 1, 0, 3 → sorted 0 1 3 3 → median (1 + 3) / 2 = 2 < 3: not daily.
    expect(f.medianDeployDaysPerWeek).toBe(2);
    // Weeks deployed 1, 1, 0, 1 → median 1: weekly.
    expect(f.bucket).toBe('weekly');
    // One month (January) with 3 weeks that deployed.
    expect(f.medianWeeksDeployedPerMonth).toBe(3);
  });

  it('is daily when the median week deploys on 3 days or more', () => {
    // Week 3 gets Mon, Tue, Wed: days per week 3, 1, 3, 3 → median 3.
    const f = deploymentFrequency([...weekly, at(14), at(15), at(16)], MON, to);
    expect(f.medianDeployDaysPerWeek).toBe(3);
    expect(f.bucket).toBe('daily');
  });

  it('is monthly when most weeks are quiet but every month has a deploying week, else yearly', () => {
    // Eight weeks: 5, 12, 19, 26 January (January) and 2, 9, 16, 23 February (February).
    const end = MON + 56 * D;
    const monthly = deploymentFrequency([at(8), at(42)], MON, end); // week of 12 Jan, week of 16 Feb
    // Weeks deployed 0 1 0 0 0 0 1 0 → median 0: not weekly. Per month: January 1, February 1 → median 1.
    expect(monthly.medianWeeksDeployedPerMonth).toBe(1);
    expect(monthly.bucket).toBe('monthly');
    expect(monthly.perDay).toBeCloseTo(2 / 56, 12);
    // Only January deploys: per month 1, 0 → median 0.5 < 1.
    expect(deploymentFrequency([at(8)], MON, end).bucket).toBe('yearly');
    expect(deploymentFrequency([], MON, end)).toMatchObject({ bucket: null, perDay: 0, deployments: 0 });
  });

  it('counts a week the window only starts in, and gives it to the month of its Monday', () => {
    // From Thursday 1 January 2026: its week starts Monday 29 December 2025 (December).
    const from = Date.UTC(2026, 0, 1);
    const f = deploymentFrequency([Date.UTC(2026, 0, 2, 10)], from, MON + 7 * D);
    // Weeks of 29 Dec (Thu–Sun in the window, 1 deploy day) and 5 Jan (none): 2 weeks.
    expect(f.weeks).toBe(2);
    // Weeks deployed 1, 0 → median 0.5 < 1: not weekly. December 1 week deployed, January 0 → median 0.5 < 1: yearly.
    expect(f.medianWeeksDeployedPerMonth).toBe(0.5);
    expect(f.bucket).toBe('yearly');
  });
});

describe('failures, rework and recovery', () => {
  const dep = (runId: string, releaseId: string, hour: number, o: Partial<Deployment> = {}): Deployment => ({ runId, releaseId, finishedAt: MON + hour * H, succeeded: true, rollback: false, carriedFail: false, ...o });
  const history: Deployment[] = [
    dep('d1', 'A', 10), // change
    dep('d2', 'B', 20, { succeeded: false }), // change, failed
    dep('d3', 'A', 21, { rollback: true }), // rollback: back to A
    dep('d4', 'C', 30), // fix: the forward deployment after the failed d2
    dep('d5', 'D', 40), // change; an alarm fires on it at 45 h → rolled back
    dep('d6', 'C', 46, { rollback: true }), // rollback
    dep('d7', 'E', 50), // fix: the forward deployment after d5
    dep('d8', 'F', 60), // change; followed by a remediation → failed
    dep('d9', 'G', 70, { carriedFail: true }), // fix (a remediation queued by a failed run)
    dep('d10', 'H', 80), // change
  ];
  const reverts = [{ at: MON + 45 * H, runId: 'd5', releases: ['D'] }];

  it('classifies each deployment', () => {
    const o = outcomes(history, reverts);
    expect(o.map((d) => `${d.runId}:${d.kind}${d.failed ? `:${d.why}` : ''}`)).toEqual([
      'd1:change',
      'd2:change:failed',
      'd3:rollback',
      'd4:fix',
      'd5:change:rolled back',
      'd6:rollback',
      'd7:fix',
      'd8:change:followed by a fix',
      'd9:fix',
      'd10:change',
    ]);
  });

  it('computes change fail rate, rework rate and recovery time with the deployments each rests on', () => {
    const o = outcomes(history, reverts);
    // Failed: d2, d5, d8 → 3 of 10.
    expect(changeFailRate(o)).toEqual({ rate: 0.3, count: 3, deployments: 10 });
    // Rollbacks d3, d6 and fixes d4, d7, d9 → 5 of 10.
    expect(reworkRate(o)).toEqual({ rate: 0.5, count: 5, deployments: 10 });
    // d2 (20 h) → d3 (21 h): 1 h; d5 (40 h) → d6 (46 h): 6 h; d8 (60 h) → d9 (70 h): 10 h → median 6 h.
    expect(recoveryTime(o)).toEqual({ medianMs: 6 * H, deployments: 3, failures: 3, unrecovered: 0 });
  });

  it('counts consecutive failures as one episode, from the first, and an open one as unrecovered', () => {
    const o = outcomes([dep('a', 'A', 1, { succeeded: false }), dep('b', 'B', 3, { succeeded: false }), dep('c', 'C', 7), dep('d', 'D', 9, { succeeded: false })], []);
    // a (1 h) … c (7 h): 6 h; d is still failed at the end.
    expect(recoveryTime(o)).toEqual({ medianMs: 6 * H, deployments: 1, failures: 2, unrecovered: 1 });
    // b and c follow failed forward deployments: fixes. d follows c (good): a change.
    expect(o.map((x) => x.kind)).toEqual(['change', 'fix', 'fix', 'change']);
  });

  it('marks as rolled back the release a rollback took out while it was live, not an earlier one of it', () => {
    const o = outcomes([dep('a', 'A', 1), dep('b', 'B', 2), dep('a2', 'A', 3), dep('r', 'B', 5, { rollback: true })], [{ at: MON + 4 * H, releases: ['A'] }]);
    // The rollback at 4 h took A out: the deployment of A live then is a2 (3 h), not a (1 h; b replaced it at 2 h).
    expect(o.map((d) => d.failed)).toEqual([false, false, true, false]);
    expect(changeFailRate([])).toEqual({ rate: null, count: 0, deployments: 0 });
  });

  it('takes the previous deployment into account for the first one in the window', () => {
    expect(outcomes([dep('x', 'X', 1)], [], true)[0]!.kind).toBe('fix');
  });
});

describe('lead time and cycle time', () => {
  const arr = (stage: string, atH: number, commitH?: number, firstH?: number): Arrival => ({
    stage,
    releaseId: `${stage}-${atH}`,
    at: MON + atH * H,
    ...(commitH !== undefined ? { commitTime: MON + commitH * H } : {}),
    ...(firstH !== undefined ? { firstCommitTime: MON + firstH * H } : {}),
  });
  const prod = [arr('prod', 100, 90, 80), arr('prod', 200, 150, 100), arr('prod', 300, 310), arr('prod', 400), arr('prod', 500, 480, 400)];

  it('takes the median of commit → production, ignoring non-positive and unknown values', () => {
    // 10 h, 50 h, (−10 h ignored), (no commit time ignored), 20 h → 10 20 50 → 20 h.
    expect(leadTime(prod)).toEqual({ medianMs: 20 * H, deployments: 3, ignored: 2 });
    // From the first commit: 20 h, 100 h, 100 h → 100 h; three arrivals carry none.
    expect(leadTime(prod, 'firstCommitTime')).toEqual({ medianMs: 100 * H, deployments: 3, ignored: 2 });
  });

  it('gives the cycle time of every stage, in pipeline order', () => {
    const dev = [arr('dev', 2, 1), arr('dev', 13, 10)]; // 1 h, 3 h → 2 h
    expect(cycleTimes([...prod, ...dev], ['dev', 'staging', 'prod'])).toEqual([
      { stage: 'dev', medianMs: 2 * H, deployments: 2, ignored: 0 },
      { stage: 'staging', medianMs: null, deployments: 0, ignored: 0 },
      { stage: 'prod', medianMs: 20 * H, deployments: 3, ignored: 2 },
    ]);
  });
});
