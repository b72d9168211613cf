/**
 * DORA from a seeded history in a real SQLite store: runs, releases and the rollback and
 * alarm events written as the engine writes them, then computeDora compared with values
 * worked out by hand below.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventTypes, type Run, type SlipwayEvent } from '../../src/core/index.js';
import { computeDora } from '../../src/insights/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';
import { aRelease, aRun, batch } from '../store/fixtures.js';

const H = 3_600_000;
const D = 24 * H;
const W0 = Date.UTC(2026, 0, 5); // a Monday
const t = (h: number): number => W0 + h * H;
const shop = pipeline('shop', [{ name: 'dev', tasks: [{ name: 'deploy', kind: 'noop' }] }, { name: 'production', tasks: [{ name: 'deploy', kind: 'noop' }] }]);

let dir: string;
let store: Store;
let seq = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-insights-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (id: string, stage: string, releaseId: string, finishedAt: number, over: Partial<Run> = {}): Run =>
  aRun({ id, project: 'shop', stage, releaseId, state: 'succeeded', result: 'pass', queuedAt: finishedAt - 60_000, finishedAt, queueSeq: ++seq, ...over });

const event = (type: string, hour: number, data: Record<string, unknown>): SlipwayEvent => ({
  specversion: '1.0',
  id: `ev-${++seq}`,
  source: '/projects/shop/stages/production',
  type,
  time: new Date(t(hour)).toISOString(),
  datacontenttype: 'application/json',
  project: 'shop',
  data,
});

async function seed(): Promise<void> {
  const rel = (id: string, commitH: number, createdH = commitH) => aRelease({ id, project: 'shop', provenance: { commit: id, commitTime: t(commitH) }, createdAt: t(createdH) + 60_000 });
  await store.commit(
    batch({
      releases: [rel('Z', -250), rel('A', 0), rel('B', 24), rel('C', 48), rel('D', 96), aRelease({ id: 'other', project: 'other' })],
      runs: [
        run('z-prod', 'production', 'Z', t(-120)), // before the window: Z's first arrival in production
        run('a-dev', 'dev', 'A', t(1)),
        run('a-prod', 'production', 'A', t(5)),
        run('b-dev', 'dev', 'B', t(26)),
        run('b-prod', 'production', 'B', t(30), { state: 'failed', result: 'fail', rolledBackTo: 'A' }),
        run('rb-a', 'production', 'A', t(31), { cause: 'rollback' }),
        run('c-dev', 'dev', 'C', t(49)),
        run('c-prod', 'production', 'C', t(57)),
        run('rb-a2', 'production', 'A', t(61), { cause: 'rollback' }),
        run('rb-z', 'production', 'Z', t(72), { cause: 'rollback' }),
        run('d-dev', 'dev', 'D', t(99)),
        run('d-prod', 'production', 'D', t(100)),
        run('d-aborted', 'production', 'D', t(101), { state: 'aborted', result: undefined }),
        run('o-prod', 'production', 'other', t(50), { project: 'other' }),
      ],
      events: [
        event(eventTypes.releaseRollback, 30, { stage: 'production', from: { web: 'B' }, releaseId: 'A', runId: 'b-prod' }),
        event(eventTypes.releaseAlarm, 60, { stage: 'production', sequence: 'delivery', releaseId: 'C', runId: 'c-prod', alarm: 'errors', alerts: [], reason: 'errors fired' }),
        event(eventTypes.releaseRollback, 60, { stage: 'production', from: { web: 'C' }, releaseId: 'A' }),
        // Someone puts Z back while A (rb-a2) is live: rb-a2 counts as rolled back.
        event(eventTypes.releaseRollback, 71, { stage: 'production', from: { web: 'A' }, releaseId: 'Z', by: 'token:ops' }),
      ],
    }),
  );
}

describe('DORA from a seeded history', () => {
  it('equals the figures worked out by hand', async () => {
    await seed();
    const f = await computeDora(store, shop, { project: 'shop', from: W0, to: W0 + 14 * D }, Date.now());
    expect(f.stage).toBe('production'); // the pipeline's last stage

    // Production deployments in the window, in order (aborted runs are none; z-prod is before it):
    //   a-prod 5 h ok · change
    //   b-prod 30 h failed · change
    //   rb-a 31 h ok · rollback
    //   c-prod 57 h ok, alarm at 60 h → rolled back · fix (the forward one after b-prod failed)
    //   rb-a2 61 h ok, then Z put back at 71 h while it was live → rolled back · rollback
    //   rb-z 72 h ok · rollback
    //   d-prod 100 h ok · fix (after c-prod failed)
    // Successful: 6 over 14 days.
    expect(f.deploymentFrequency.deployments).toBe(6);
    expect(f.deploymentFrequency.perDay).toBeCloseTo(6 / 14, 12);
    // Deploy days: days 0, 1, 2, 3, 4 in week 1; none in week 2 → median (5 + 0) / 2 = 2.5: not daily;
    // weeks deployed 1, 0 → 0.5: not weekly; January has 1 deploying week → monthly.
    expect(f.deploymentFrequency).toMatchObject({ medianDeployDaysPerWeek: 2.5, medianWeeksDeployedPerMonth: 1, bucket: 'monthly', weeks: 2 });
    // Failed: b-prod, c-prod, rb-a2 → 3 of 7.
    expect(f.changeFailRate).toEqual({ rate: 3 / 7, count: 3, deployments: 7 });
    // Rework: rb-a, c-prod, rb-a2, rb-z, d-prod → 5 of 7.
    expect(f.deploymentReworkRate).toEqual({ rate: 5 / 7, count: 5, deployments: 7 });
    // b-prod 30 h → rb-a 31 h: 1 h. c-prod 57 h → (rb-a2 failed too) → rb-z 72 h: 15 h. Median 8 h.
    expect(f.failedDeploymentRecoveryTime).toEqual({ medianMs: 8 * H, deployments: 2, failures: 2, unrecovered: 0 });
    // First arrivals in production within the window: A 5 h − 0 h, C 57 h − 48 h, D 100 h − 96 h → 5, 9, 4 → 5 h.
    // (rb-a, rb-a2 are A again; rb-z is Z again, first there before the window.)
    expect(f.changeLeadTime).toEqual({ medianMs: 5 * H, deployments: 3, ignored: 0, fromFirstCommit: { medianMs: null, deployments: 0, ignored: 3 } });
    // dev: A 1 h, B 2 h, C 1 h, D 3 h → 1 1 2 3 → 1.5 h.
    expect(f.cycleTime).toEqual([
      { stage: 'dev', medianMs: 1.5 * H, deployments: 4, ignored: 0 },
      { stage: 'production', medianMs: 5 * H, deployments: 3, ignored: 0 },
    ]);
  });

  it('counts the window only, and knows a failure just before it', async () => {
    await seed();
    // From 31 h: the last forward deployment before it, b-prod, failed, so c-prod is still a fix.
    const f = await computeDora(store, shop, { project: 'shop', stage: 'production', from: t(30.5), to: t(58) }, Date.now());
    // rb-a 31 h (rollback), c-prod 57 h (fix; its alarm at 60 h is after the window) → no failure inside.
    expect(f.deploymentReworkRate).toEqual({ rate: 1, count: 2, deployments: 2 });
    expect(f.changeFailRate).toEqual({ rate: 0, count: 0, deployments: 2 });
  });

  it('answers again from the same log position without reading, and sees the next commit', async () => {
    await seed();
    const q = { project: 'shop', from: W0, to: W0 + 14 * D };
    const first = await computeDora(store, shop, q, Date.now());
    // Nothing committed since: the same answer, not a new computation.
    expect(await computeDora(store, shop, q, Date.now())).toBe(first);
    // A new production deployment (with its event, as the engine commits it) is counted at once.
    await store.commit(
      batch({
        releases: [aRelease({ id: 'E', project: 'shop', provenance: { commit: 'E', commitTime: t(110) }, createdAt: t(110) + 60_000 })],
        runs: [run('e-prod', 'production', 'E', t(112))],
        events: [event(eventTypes.runFinished, 112, { runId: 'e-prod' })],
      }),
    );
    const after = await computeDora(store, shop, q, Date.now());
    expect(after.deploymentFrequency.deployments).toBe(first.deploymentFrequency.deployments + 1);
    expect(after.changeLeadTime.deployments).toBe(first.changeLeadTime.deployments + 1);
  });

  it('refuses an unknown stage and an empty window, naming them', async () => {
    await expect(computeDora(store, shop, { project: 'shop', stage: 'prod' }, Date.now())).rejects.toThrow("stage 'prod' is not defined in project 'shop'; defined stages: dev, production");
    await expect(computeDora(store, shop, { project: 'shop', from: t(5), to: t(5) }, Date.now())).rejects.toThrow(/give a 'from' before 'to'/);
  });
});
