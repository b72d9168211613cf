import { describe, expect, it } from 'vitest';
import { Harness, pipeline } from './harness.js';

const p = pipeline('r', [
  { name: 'dev', tasks: [{ name: 'deploy' }] },
  { name: 'prod', tasks: [{ name: 'deploy' }] },
]);

describe('core: rollback', () => {
  it('without a target, runs the last good release again where a failed one runs now, and does not promote', () => {
    const h = new Harness(p);
    const good = h.trigger('r', { api: 'api:1' }).value!.releaseId!;
    h.drain();
    h.trigger('r', { api: 'api:2' });
    h.finish(h.dispatched()[0]!, 'fail');
    expect(h.state.live.get('r\0dev\0api')).toMatchObject({ artifact: 'api:2', state: 'failed', lastGoodReleaseId: good });
    const d = h.decide({ type: 'rollback', project: 'r', stage: 'dev', by: 'alice', reason: 'bad deploy' });
    expect(d.error).toBeUndefined();
    expect(d.value?.releaseId).toBe(good);
    const ev = d.events.find((e) => e.type === 'sh.slipway.release.rollback')!;
    expect(ev.data).toMatchObject({ stage: 'dev', releaseId: good, reason: 'bad deploy', by: 'alice' });
    const prodRuns = h.runsOf('prod').length;
    h.drain();
    expect(h.state.live.get('r\0dev\0api')).toMatchObject({ artifact: 'api:1', state: 'succeeded' });
    expect(h.runsOf('prod')).toHaveLength(prodRuns);
  });

  it('refuses when what runs is the last good release, or the target never ran in the stage', () => {
    const h = new Harness(p);
    const r1 = h.trigger('r', { api: 'api:1' }).value!.releaseId!;
    h.finish(h.dispatched()[0]!);
    expect(h.decide({ type: 'rollback', project: 'r', stage: 'dev' }).error?.message).toContain('what runs there is its last good release');
    expect(h.decide({ type: 'rollback', project: 'r', stage: 'prod', to: 'rel-nope' }).error?.code).toBe('UNKNOWN_RELEASE');
    h.drain();
    const r2 = h.trigger('r', { api: 'api:2' }).value!.releaseId!;
    h.finish(h.dispatched()[0]!);
    expect(h.decide({ type: 'rollback', project: 'r', stage: 'prod', to: r2 }).error?.message).toContain('never ran in stage');
    expect(h.decide({ type: 'rollback', project: 'r', stage: 'dev', to: r1 }).error).toBeUndefined();
  });
});

describe('core: automatic rollback', () => {
  const q = pipeline('a', [{ name: 'prod', tasks: [{ name: 'deploy', kind: 'deploy' }, { name: 'smoke' }] }]);

  it('a run failing after its version took traffic puts the last good release back once, running only the deploy tasks', () => {
    const h = new Harness(q);
    const good = h.trigger('a', { api: 'api:1' }).value!.releaseId!;
    h.drain();
    h.trigger('a', { api: 'api:2' });
    h.finish(h.dispatched()[0]!, 'pass', { output: { traffic: true, strategy: 'direct' } });
    const d = h.finish(h.dispatched()[0]!, 'fail');
    const rb = d.events.find((e) => e.type === 'sh.slipway.release.rollback');
    expect(rb?.data).toMatchObject({ stage: 'prod', releaseId: good, reason: expect.stringContaining('automatic: smoke failed') });
    const rollbackRun = h.runsOf('prod').find((r) => r.cause === 'rollback')!;
    expect(rollbackRun.releaseId).toBe(good);
    expect(rollbackRun.tasks.map((t) => t.name)).toEqual(['deploy']);
    expect(rollbackRun.spec.steps[0]!.tasks[0]!.properties).toMatchObject({ strategy: 'direct' });
    // The rollback itself failing does not roll back again.
    h.finish(h.dispatched()[0]!, 'fail', { output: { traffic: true } });
    expect(h.runsOf('prod').filter((r) => r.cause === 'rollback')).toHaveLength(1);
  });

  it('a canary (or dark) deploy is rolled back directly, without the settings only those strategies take', () => {
    const canary = pipeline('a', [
      { name: 'prod', tasks: [{ name: 'deploy', kind: 'deploy', properties: { strategy: 'canary', steps: [{ setWeight: 10 }], mirror: 0.2, darkFor: '1m', analysis: {}, target: 'local' } }, { name: 'smoke' }] },
    ]);
    const h = new Harness(canary);
    h.trigger('a', { api: 'api:1' });
    h.drain();
    h.trigger('a', { api: 'api:2' });
    h.finish(h.dispatched()[0]!, 'pass', { output: { traffic: true, strategy: 'canary' } });
    h.finish(h.dispatched()[0]!, 'fail');
    const rollbackRun = h.runsOf('prod').find((r) => r.cause === 'rollback')!;
    expect(rollbackRun.spec.steps[0]!.tasks[0]!.properties).toEqual({ strategy: 'direct', target: 'local' });
  });

  it('no rollback when no version took traffic, or the deploy restored it itself', () => {
    const h = new Harness(q);
    h.trigger('a', { api: 'api:1' });
    h.drain();
    h.trigger('a', { api: 'api:2' });
    const restored = h.finish(h.dispatched()[0]!, 'fail', { message: 'analysis failed', output: { traffic: true, rolledBack: true } });
    expect(restored.events.find((e) => e.type === 'sh.slipway.release.rollback')?.data).toMatchObject({ reason: expect.stringContaining('deploy restored the previous version') });
    h.trigger('a', { api: 'api:3' });
    h.finish(h.dispatched()[0]!, 'fail');
    expect(h.runsOf('prod').filter((r) => r.cause === 'rollback')).toHaveLength(0);
  });
});
