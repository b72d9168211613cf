import { describe, expect, it } from 'vitest';
import type { Pipeline, StageSpec } from '../../src/core/index.js';
import { Harness, pipeline } from './harness.js';
import type { StageLike } from './harness.js';

const MIN = 60_000;
const alarm = { name: 'errors', source: { url: 'http://127.0.0.1:9090', api: 'prometheus' as const }, labels: { service: 'api' }, intervalMs: 15_000 };

/** `stages`, with dev watching its alarms for 30 minutes after success. */
function watched(name: string, stages: StageLike[], watch: Partial<StageSpec> = {}): Pipeline {
  const p = pipeline(name, stages);
  return { ...p, stages: p.stages.map((s, i) => (i === 0 ? { ...s, alarms: [alarm], watch: { forMs: 30 * MIN, intervalMs: 15_000 }, ...watch } : s)) };
}

const fired = (h: Harness, project: string, releaseId: string, name = 'errors') =>
  h.decide({ type: 'stage.alarm', project, stage: 'dev', releaseId, alarm: name, alerts: [{ name: 'HighErrorRate', labels: { alertname: 'HighErrorRate', service: 'api' } }], by: 'slipway:alarm-watch' });

describe('core: an alarm in the watch window after success', () => {
  const p = watched('w', [
    { name: 'dev', tasks: [{ name: 'deploy' }] },
    { name: 'prod', promotion: 'manual', tasks: [{ name: 'deploy' }] },
  ]);

  it('fails the release in the stage, rolls back to the previous good release, and refuses promotion', () => {
    const h = new Harness(p);
    const good = h.trigger('w', { api: 'api:1' }).value!.releaseId!;
    h.drain();
    const bad = h.trigger('w', { api: 'api:2' }).value!.releaseId!;
    h.drain();
    expect(h.state.live.get('w\0dev\0api')).toMatchObject({ releaseId: bad, lastGoodReleaseId: bad, previousGoodReleaseId: good });
    h.now += 5 * MIN;
    const d = fired(h, 'w', bad);
    expect(d.error).toBeUndefined();
    expect(d.ignored).toBeUndefined();
    const ev = d.events.find((e) => e.type === 'sh.slipway.release.alarm')!;
    expect(ev.data).toMatchObject({ stage: 'dev', releaseId: bad, alarm: 'errors', rollbackTo: good, alerts: [{ name: 'HighErrorRate' }] });
    expect(String(ev.data.reason)).toContain('alarm errors fired in stage \'dev\' within 300s');
    expect(String(ev.data.reason)).toContain('HighErrorRate{service="api"}');
    expect(h.state.releases.get(bad)!.passes.get('dev\0delivery')).toMatchObject({ result: 'fail', alarm: { name: 'errors' } });
    expect(h.state.live.get('w\0dev\0api')!.lastGoodReleaseId).toBe(good);
    const rb = d.events.find((e) => e.type === 'sh.slipway.release.rollback')!;
    expect(rb.data).toMatchObject({ releaseId: good, reason: expect.stringContaining('automatic: alarm errors fired') });
    const rollback = h.runsOf('dev').find((r) => r.cause === 'rollback')!;
    expect(rollback.releaseId).toBe(good);
    const promote = h.decide({ type: 'promote', project: 'w', releaseId: bad, stage: 'prod' });
    expect(promote.error?.code).toBe('NOT_PROMOTABLE');
    h.drain();
    expect(h.state.live.get('w\0dev\0api')).toMatchObject({ releaseId: good, state: 'succeeded', lastGoodReleaseId: good });
  });

  it('acts once: the same alarm again, or another one, changes nothing', () => {
    const h = new Harness(p);
    h.trigger('w', { api: 'api:1' });
    h.drain();
    const bad = h.trigger('w', { api: 'api:2' }).value!.releaseId!;
    h.drain();
    expect(fired(h, 'w', bad).ignored).toBeUndefined();
    const again = fired(h, 'w', bad);
    expect(again.ignored).toContain('already failed in stage \'dev\' by alarm errors');
    expect(again.events).toEqual([]);
    expect(fired(h, 'w', bad, 'latency').events).toEqual([]);
    expect(h.runsOf('dev').filter((r) => r.cause === 'rollback')).toHaveLength(1);
  });

  it('ignores an alarm after the window, or once another release runs in the stage', () => {
    const h = new Harness(p);
    h.trigger('w', { api: 'api:1' });
    h.drain();
    const r2 = h.trigger('w', { api: 'api:2' }).value!.releaseId!;
    h.drain();
    h.now += 31 * MIN;
    expect(fired(h, 'w', r2).ignored).toContain('watch window of release');
    h.now -= 31 * MIN;
    h.trigger('w', { api: 'api:3' });
    expect(fired(h, 'w', r2).ignored).toContain('is no longer what runs in stage');
    expect(h.state.releases.get(r2)!.passes.get('dev\0delivery')!.result).toBe('pass');
  });

  it('records the alarm without a rollback when no earlier good release is known', () => {
    const h = new Harness(p);
    const only = h.trigger('w', { api: 'api:1' }).value!.releaseId!;
    h.drain();
    const d = fired(h, 'w', only);
    const ev = d.events.find((e) => e.type === 'sh.slipway.release.alarm')!;
    expect(ev.data.rollbackTo).toBeUndefined();
    expect(String(ev.data.reason)).toContain('no earlier good release is known');
    expect(d.events.some((e) => e.type === 'sh.slipway.release.rollback')).toBe(false);
    expect(h.state.live.get('w\0dev\0api')!.lastGoodReleaseId).toBeUndefined();
  });

  it('stops queued runs of the release downstream before they start; running ones go on', () => {
    const q = watched('d', [
      { name: 'dev', tasks: [{ name: 'deploy' }] },
      { name: 'prod', requireUpstream: false, tasks: [{ name: 'deploy' }] },
    ]);
    const h = new Harness(q);
    h.trigger('d', { api: 'api:1' });
    h.drain();
    // prod is busy with another release, so the next one queues there.
    const other = h.trigger('d', { api: 'api:0' }, 'prod').value!.runId!;
    const bad = h.trigger('d', { api: 'api:2' }).value!.releaseId!;
    h.finish(h.dispatched().find((id) => h.state.runs.get(id.split('.')[0]!)!.stage === 'dev')!);
    const queued = h.runsOf('prod').find((r) => r.releaseId === bad)!;
    expect(queued.state).toBe('queued');
    const d = fired(h, 'd', bad);
    expect(d.events.find((e) => e.type === 'sh.slipway.release.alarm')!.data.stopped).toEqual([queued.id]);
    expect(h.state.runs.get(queued.id)).toMatchObject({ state: 'aborted', reason: expect.stringContaining('alarm errors fired in stage') });
    expect(h.state.runs.get(other)!.state).toBe('running');
  });

  it('refuses an alarm for a stage that declares no watch', () => {
    const h = new Harness(pipeline('n', [{ name: 'dev', tasks: [{ name: 'deploy' }] }]));
    const r = h.trigger('n', { api: 'api:1' }).value!.releaseId!;
    h.drain();
    const d = fired(h, 'n', r);
    expect(d.error?.code).toBe('INVALID_INPUT');
    expect(d.error?.message).toContain('declares no watch');
  });
});

describe('core: a soak ended by an alarm', () => {
  it('rolls the stage back even when a script deployed it (no traffic marker)', () => {
    const p = pipeline('s', [{ name: 'dev', tasks: [{ name: 'deploy', kind: 'shell' }, { name: 'soak', kind: 'wait', properties: { duration: '5m', alarms: [] } }] }]);
    const h = new Harness(p);
    const good = h.trigger('s', { api: 'api:1' }).value!.releaseId!;
    h.drain();
    h.trigger('s', { api: 'api:2' });
    h.finish(h.dispatched()[0]!);
    const d = h.finish(h.dispatched()[0]!, 'fail', { message: 'soak ended by a firing alarm', output: { alarmFired: [{ name: 'errors', firing: [] }] } });
    expect(d.events.find((e) => e.type === 'sh.slipway.release.rollback')?.data).toMatchObject({ releaseId: good, reason: expect.stringMatching(/^automatic: soak failed in run run-\w+ after release rel-\w+ took traffic: soak ended by a firing alarm$/) });
    const rollback = h.runsOf('dev').find((r) => r.cause === 'rollback')!;
    // The rollback runs the whole sequence (no deploy tasks), with a soak that does not watch alarms.
    expect(rollback.spec.steps.flatMap((s) => s.tasks).find((t) => t.name === 'soak')!.properties.alarms).toEqual([]);
  });

  it('a plain soak failure (stopped by a person) without traffic does not roll back', () => {
    const p = pipeline('t', [{ name: 'dev', tasks: [{ name: 'deploy', kind: 'shell' }, { name: 'soak', kind: 'wait' }] }]);
    const h = new Harness(p);
    h.trigger('t', { api: 'api:1' });
    h.drain();
    h.trigger('t', { api: 'api:2' });
    h.finish(h.dispatched()[0]!);
    const d = h.finish(h.dispatched()[0]!, 'fail', { message: 'soak stopped by alice' });
    expect(d.events.some((e) => e.type === 'sh.slipway.release.rollback')).toBe(false);
  });
});
