/**
 * Promotion schedules in the core: a stage with a cron in a zone takes, at each fire time,
 * the release its selection picks; every fire is an event (fired, or skipped and why); the
 * next fire is a durable timer. Clock changes in two zones, fire times missed while Slipway
 * was down under both policies, onlyIfNew, selection, and a schedule removed.
 */
import { describe, expect, it } from 'vitest';
import type { ScheduleFireData } from '../../src/core/index.js';
import type { Scheduled } from './schedule-world.js';
import { H, World, at, scheduledPipeline } from './schedule-world.js';

const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function nightly(schedule: Scheduled['schedule'], selection?: Scheduled['selection']) {
  return scheduledPipeline('shop', [
    { name: 'dev', tasks: [{ name: 'deploy' }] },
    { name: 'test', tasks: [{ name: 'deploy' }], schedule, ...(selection ? { selection } : {}) },
    { name: 'preprod', promotion: 'manual', tasks: [{ name: 'deploy' }] },
  ]);
}

const fires = (w: World) => w.log.filter((e) => e.type === 'sh.slipway.schedule.fired' || e.type === 'sh.slipway.schedule.skipped').map((e) => ({ type: e.type.slice('sh.slipway.schedule.'.length), time: e.time, ...(e.data as unknown as ScheduleFireData) }));

describe('core: schedules', () => {
  it('at 03:00 Berlin the newest release that passed dev enters test; a newer release that failed dev does not', () => {
    const w = new World(nightly({ cron: '0 3 * * *', timeZone: 'Europe/Berlin' }), at('2026-06-01T12:00:00Z'));
    expect(w.events('schedule.armed')).toHaveLength(1);
    expect(iso(w.next('test'))).toBe('2026-06-02T01:00:00.000Z'); // 03:00 CEST
    const r1 = w.release('1');
    const r2 = w.release('2');
    w.release('3', 'fail');
    expect(w.entered('test')).toEqual([]);
    w.advanceTo(at('2026-06-02T01:00:00Z'));
    expect(w.entered('test')).toEqual([r2]);
    const [f] = fires(w);
    expect(f).toMatchObject({ type: 'fired', releaseId: r2, stage: 'test', dueAt: at('2026-06-02T01:00:00Z'), next: at('2026-06-03T01:00:00Z'), selection: 'newest' });
    expect(f!.late).toBeUndefined();
    expect(w.state.runs.get(f!.runId!)?.origin).toBe('automation');
    expect(r1).not.toBe(r2);
    expect(w.rows.get('schedule:shop:test')?.dueAt).toBe(at('2026-06-03T01:00:00Z'));
    // preprod is manual: the release that passed test is only announced there.
    w.finishAll();
    expect(w.entered('preprod')).toEqual([]);
    expect(w.events('release.promotable').some((e) => (e.data as { stage: string }).stage === 'preprod')).toBe(true);
  });

  it('Europe/Berlin: 02:30 that does not exist (spring) fires once at 03:00 CEST; 02:30 that happens twice (autumn) fires once, the first time', () => {
    const w = new World(nightly({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }), at('2026-03-27T12:00:00Z'));
    w.release('1');
    w.advanceTo(at('2026-04-01T00:00:00Z'));
    expect(fires(w).map((f) => f.time)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    const autumn = new World(nightly({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }), at('2026-10-23T12:00:00Z'));
    autumn.release('1');
    autumn.advanceTo(at('2026-10-27T00:00:00Z'));
    // 24 Oct 02:30 CEST, 25 Oct 02:30 CEST (not again at 02:30 CET, 01:30 UTC), 26 Oct 02:30 CET.
    expect(fires(autumn).map((f) => f.time)).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // Armed inside the repeated hour (02:10 CET, after 02:30 CEST happened): 02:30 CET is not a second fire.
    const inside = new World(nightly({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }), at('2026-10-25T01:10:00Z'));
    expect(iso(inside.next('test'))).toBe('2026-10-26T01:30:00.000Z');
  });

  it('America/New_York: 02:30 that does not exist fires at 03:00 EDT; 01:30 that happens twice fires once, at 01:30 EDT', () => {
    const spring = new World(nightly({ cron: '30 2 * * *', timeZone: 'America/New_York' }), at('2026-03-07T12:00:00Z'));
    spring.release('1');
    spring.advanceTo(at('2026-03-09T12:00:00Z'));
    expect(fires(spring).map((f) => f.time)).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
    const autumn = new World(nightly({ cron: '30 1 * * *', timeZone: 'America/New_York' }), at('2026-10-31T12:00:00Z'));
    autumn.release('1');
    autumn.advanceTo(at('2026-11-02T12:00:00Z'));
    expect(fires(autumn).map((f) => f.time)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('missed: run-once: fire times passed while Slipway was down give one late fire at start, then the next time is armed', () => {
    const w = new World(nightly({ cron: '0 3 * * *', timeZone: 'Europe/Berlin' }), at('2026-06-01T12:00:00Z'));
    const r1 = w.release('1');
    w.down();
    w.advanceTo(at('2026-06-04T09:00:00Z')); // three 03:00s passed
    expect(w.entered('test')).toEqual([]);
    w.up();
    expect(w.entered('test')).toEqual([r1]);
    const f = fires(w);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ type: 'fired', late: true, dueAt: at('2026-06-02T01:00:00Z'), next: at('2026-06-05T01:00:00Z'), time: '2026-06-04T09:00:00.000Z' });
    expect(f[0]!.reason).toContain('missed: run-once');
  });

  it('missed: skip: a fire time passed while Slipway was down is skipped with the reason, and nothing enters', () => {
    const w = new World(nightly({ cron: '0 3 * * *', timeZone: 'Europe/Berlin', missed: 'skip' }), at('2026-06-01T12:00:00Z'));
    w.release('1');
    w.down();
    w.advanceTo(at('2026-06-03T09:00:00Z'));
    w.up();
    expect(w.entered('test')).toEqual([]);
    const [f] = fires(w);
    expect(f).toMatchObject({ type: 'skipped', code: 'missed', next: at('2026-06-04T01:00:00Z') });
    expect(f!.reason).toContain('Slipway was not running at 2026-06-02T01:00:00.000Z (and 1 later fire time)');
    // The next one, on time, fires.
    w.advanceTo(at('2026-06-04T01:00:00Z'));
    expect(w.entered('test')).toHaveLength(1);
  });

  it('onlyIfNew: the next fire with no newer release is skipped; without it, the same release runs again', () => {
    const only = new World(nightly({ cron: '0 3 * * *', timeZone: 'UTC', onlyIfNew: true }), at('2026-06-01T12:00:00Z'));
    const r1 = only.release('1');
    only.advanceTo(at('2026-06-02T03:00:00Z'));
    only.finishAll();
    only.advanceTo(at('2026-06-03T03:00:00Z'));
    expect(only.entered('test')).toEqual([r1]);
    expect(fires(only)[1]).toMatchObject({ type: 'skipped', code: 'not-new', releaseId: r1 });
    const r2 = only.release('2');
    only.advanceTo(at('2026-06-04T03:00:00Z'));
    expect(only.entered('test')).toEqual([r1, r2]);

    const every = new World(nightly({ cron: '0 3 * * *', timeZone: 'UTC' }), at('2026-06-01T12:00:00Z'));
    const e1 = every.release('1');
    every.advanceTo(at('2026-06-02T03:00:00Z'));
    every.finishAll();
    every.advanceTo(at('2026-06-03T03:00:00Z'));
    expect(every.entered('test')).toEqual([e1, e1]);
  });

  it('a fire with nothing passed upstream, or with the release still running there, is skipped and says why', () => {
    const w = new World(nightly({ cron: '0 * * * *', timeZone: 'UTC' }), at('2026-06-01T12:30:00Z'));
    w.advanceTo(at('2026-06-01T13:00:00Z'));
    expect(fires(w)[0]).toMatchObject({ type: 'skipped', code: 'nothing-passed', reason: "no release has passed 'dev' yet" });
    const r1 = w.release('1');
    w.advanceTo(at('2026-06-01T14:00:00Z'));
    w.advanceTo(at('2026-06-01T15:00:00Z')); // the 14:00 run is still going
    expect(fires(w)[2]).toMatchObject({ type: 'skipped', code: 'in-progress', releaseId: r1 });
  });

  it('selection: newest ignores a hand rollback of dev; matchUpstream takes what dev runs now', () => {
    for (const selection of ['newest', 'matchUpstream'] as const) {
      const w = new World(nightly({ cron: '0 3 * * *', timeZone: 'UTC' }, selection), at('2026-06-01T12:00:00Z'));
      const r1 = w.release('1');
      const r2 = w.release('2');
      expect(w.decide({ type: 'rollback', project: 'shop', stage: 'dev', to: r1, by: 'alice' }).error).toBeUndefined();
      w.finishAll();
      w.advanceTo(at('2026-06-02T03:00:00Z'));
      expect(w.entered('test')).toEqual([selection === 'newest' ? r2 : r1]);
    }
  });

  it('a schedule removed from the pipeline is disarmed (its timer row gone); a changed cron is re-armed', () => {
    const w = new World(nightly({ cron: '0 3 * * *', timeZone: 'UTC' }), at('2026-06-01T12:00:00Z'));
    w.down();
    w.up(nightly({ cron: '0 5 * * *', timeZone: 'UTC' }));
    expect(iso(w.next('test'))).toBe('2026-06-02T05:00:00.000Z');
    expect(w.rows.get('schedule:shop:test')?.dueAt).toBe(at('2026-06-02T05:00:00Z'));
    w.down();
    w.up({ ...nightly(undefined), version: 'v3' });
    expect(w.events('schedule.disarmed')).toHaveLength(1);
    expect(w.rows.has('schedule:shop:test')).toBe(false);
    expect(w.next('test')).toBeUndefined();
    w.advanceTo(at('2026-06-03T12:00:00Z'));
    expect(fires(w)).toEqual([]);
    expect(H).toBeGreaterThan(0);
  });
});
