/**
 * Promotion holds in the core: a person's promotion or rollback of a stage to a release older
 * than the one automation would bring holds automatic promotion there (upstream success and
 * schedules) until `promotion.resume`; the hold is an event naming who and when, is rebuilt
 * from the log after a restart, and a choice that is not older holds nothing.
 */
import { describe, expect, it } from 'vitest';
import type { PromotionHeldData, ReleasePromotableData } from '../../src/core/index.js';
import { H, World, at, scheduledPipeline } from './schedule-world.js';

const chain = (selection?: 'newest' | 'matchUpstream') =>
  scheduledPipeline('shop', [
    { name: 'dev', tasks: [{ name: 'deploy' }] },
    { name: 'staging', tasks: [{ name: 'deploy' }], ...(selection ? { selection } : {}) },
    { name: 'prod', promotion: 'manual', tasks: [{ name: 'deploy' }] },
  ]);

const hold = (w: World, stage = 'staging') => w.state.holds.get(`shop\0${stage}`);

describe('core: promotion holds', () => {
  it('a manual promote of an older release holds auto promotion; upstream success is announced, not queued; resume-auto lifts it', () => {
    const w = new World(chain(), at('2026-06-01T12:00:00Z'));
    const r1 = w.release('1');
    const r2 = w.release('2');
    expect(w.entered('staging')).toEqual([r1, r2]);
    w.clock.advance(H);
    const d = w.decide({ type: 'promote', project: 'shop', releaseId: r1, stage: 'staging', by: 'alice' });
    expect(d.error).toBeUndefined();
    const [held] = w.events('promotion.held');
    expect(held?.data as unknown as PromotionHeldData).toMatchObject({ stage: 'staging', releaseId: r1, automationWould: r2, by: 'alice', how: 'promote' });
    expect(hold(w)).toMatchObject({ by: 'alice', at: w.now, releaseId: r1 });
    w.finishAll();
    const r3 = w.release('3');
    expect(w.entered('staging')).toEqual([r1, r2, r1]);
    const promotable = w.events('release.promotable').map((e) => e.data as unknown as ReleasePromotableData).find((x) => x.releaseId === r3 && x.stage === 'staging');
    expect(promotable?.reason).toContain('held since');
    expect(promotable?.reason).toContain('slipway resume-auto staging --project shop');

    // Kept across a restart: the state is rebuilt from the log.
    w.down();
    w.up();
    expect(hold(w)).toMatchObject({ by: 'alice', releaseId: r1 });
    w.release('4');
    expect(w.entered('staging')).toHaveLength(3);

    const resumed = w.decide({ type: 'promotion.resume', project: 'shop', stage: 'staging', by: 'bob' });
    expect(resumed.error).toBeUndefined();
    expect(w.events('promotion.resumed')[0]?.data).toMatchObject({ stage: 'staging', by: 'bob', heldBy: 'alice', heldRelease: r1 });
    expect(hold(w)).toBeUndefined();
    const r5 = w.release('5');
    expect(w.entered('staging').at(-1)).toBe(r5);
  });

  it('resume-auto on a stage that is not held is refused and names the held stages', () => {
    const w = new World(chain(), at('2026-06-01T12:00:00Z'));
    const d = w.decide({ type: 'promotion.resume', project: 'shop', stage: 'staging', by: 'bob' });
    expect(d.error?.code).toBe('INVALID_STATE');
    expect(d.error?.message).toContain("automatic promotion into stage 'staging' of project 'shop' is not held");
    expect(d.events).toEqual([]);
  });

  it('a hand rollback of an automatic stage to an older release holds it', () => {
    const w = new World(chain(), at('2026-06-01T12:00:00Z'));
    const r1 = w.release('1');
    w.release('2');
    w.clock.advance(H);
    expect(w.decide({ type: 'rollback', project: 'shop', stage: 'staging', to: r1, by: 'carol', reason: 'slow' }).error).toBeUndefined();
    expect(hold(w)).toMatchObject({ by: 'carol', releaseId: r1, how: 'rollback' });
  });

  it('promoting the release automation would bring, or into a manual stage, holds nothing', () => {
    const w = new World(chain(), at('2026-06-01T12:00:00Z'));
    const r1 = w.release('1');
    const r2 = w.release('2');
    w.decide({ type: 'promote', project: 'shop', releaseId: r2, stage: 'prod', by: 'alice' });
    w.finishAll();
    w.decide({ type: 'promote', project: 'shop', releaseId: r1, stage: 'prod', by: 'alice' });
    w.finishAll();
    w.decide({ type: 'rollback', project: 'shop', stage: 'staging', to: r2, by: 'alice' });
    expect(w.events('promotion.held')).toEqual([]);
  });

  it('a held scheduled stage skips its fires with the reason', () => {
    const p = scheduledPipeline('shop', [
      { name: 'dev', tasks: [{ name: 'deploy' }] },
      { name: 'test', tasks: [{ name: 'deploy' }], schedule: { cron: '0 3 * * *', timeZone: 'UTC' } },
    ]);
    const w = new World(p, at('2026-06-01T12:00:00Z'));
    const r1 = w.release('1');
    w.release('2');
    w.decide({ type: 'promote', project: 'shop', releaseId: r1, stage: 'test', by: 'alice' });
    w.finishAll();
    w.advanceTo(at('2026-06-02T03:00:00Z'));
    expect(w.entered('test')).toEqual([r1]);
    expect(w.events('schedule.skipped')[0]?.data).toMatchObject({ code: 'held' });
  });

  it('selection newest: a release that passes upstream after a newer one entered does not pull the stage back; matchUpstream follows', () => {
    for (const selection of ['newest', 'matchUpstream'] as const) {
      const p = scheduledPipeline('shop', [
        { name: 'dev', tasks: [{ name: 'deploy' }] },
        { name: 'staging', tasks: [{ name: 'deploy' }], selection },
      ]);
      const w = new World(p, at('2026-06-01T12:00:00Z'));
      const r1 = w.release('1');
      const r2 = w.release('2');
      // dev is rolled back by automation's own path: r1 runs again in dev and passes.
      w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' }, automated: true });
      w.finishAll();
      expect(w.entered('staging')).toEqual(selection === 'newest' ? [r1, r2] : [r1, r2, r1]);
      if (selection === 'newest') {
        const why = w.events('release.promotable').map((e) => e.data as unknown as ReleasePromotableData).find((x) => x.stage === 'staging')?.reason;
        expect(why).toContain(`already has ${r2}, newer than ${r1}`);
      }
    }
  });
});
