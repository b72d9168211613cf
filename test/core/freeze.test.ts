/**
 * Freeze windows in the core: a run about to start in a frozen stage waits (queued, frozen)
 * until its window ends, when a durable timer re-checks; runs in flight finish; windows may
 * hold automation only; an admin's override is an audited event. Time is a FakeClock; the
 * freeze calendar is the real one (src/triggers), asked through ctx.freezeAt as the engine does.
 */
import { describe, expect, it } from 'vitest';
import type { CoreState, Decision, FreezeWindowSpec, Input, Pipeline, Result } from '../../src/core/index.js';
import { SLIPWAY_ACTOR, artifactKey, createState, decide, emptyDirty, evolve, requirements } from '../../src/core/index.js';
import type { TimerHandle } from '../../src/engine/clock.js';
import { FakeClock } from '../../src/engine/clock.js';
import { freezeLookup } from '../../src/triggers/index.js';
import type { NewInput, StageLike } from './harness.js';
import { pipeline, sha } from './harness.js';

const H = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

/** Fridays 16:00 Europe/Berlin for 64h: 27 March 2026 15:00 UTC to Monday 30 March 06:00 UTC (08:00 CEST). */
const FRI = at('2026-03-27T15:00:00Z');
const MON = at('2026-03-30T06:00:00Z');

function weekend(appliesTo: 'automation' | 'everyone', stages = ['production']): FreezeWindowSpec {
  return { name: 'weekend', stages, appliesTo, timeZone: 'Europe/Berlin', when: { kind: 'recurring', cron: '0 16 * * 5', durationMs: 64 * H }, reason: 'weekend' };
}

/** The core with a FakeClock and durable timers fired as the engine fires them. */
class FrozenWorld {
  state: CoreState = createState();
  log: Decision['events'] = [];
  readonly clock: FakeClock;
  private readonly timers = new Map<string, TimerHandle>();
  private n = 0;

  constructor(p: Pipeline, now: number) {
    this.clock = new FakeClock(now);
    this.state.pipelines.set(p.name, p);
  }

  decide(input: NewInput): Decision {
    const full = { ...input, id: input.id ?? `in${this.n++}` } as Input;
    for (const a of requirements(this.state, full, sha).artifacts) this.state.artifactPasses.set(artifactKey(a.project, a.service, a.artifact), new Map());
    const d = decide(this.state, full, {
      now: this.clock.now(),
      hash: sha,
      defaultTimeoutMs: () => 24 * H,
      freezeAt: freezeLookup((p) => this.state.pipelines.get(p)),
    });
    this.state.dirty = emptyDirty();
    this.log.push(...d.events);
    for (const e of d.effects) {
      if (e.type === 'cancelTimer') {
        this.timers.get(e.id)?.cancel();
        this.timers.delete(e.id);
      } else if (e.type === 'setTimer') {
        this.timers.get(e.timer.id)?.cancel();
        const t = e.timer;
        this.timers.set(t.id, this.clock.setTimeout(() => void this.decide({ ...t.input, id: `${t.id}@${t.dueAt}` }), t.dueAt - this.clock.now()));
      }
    }
    return d;
  }

  advanceTo(t: number): void {
    this.clock.advance(t - this.clock.now());
  }

  dispatched(stage?: string): string[] {
    return [...this.state.runs.values()].filter((r) => stage === undefined || r.stage === stage).flatMap((r) => r.tasks.filter((t) => t.state === 'triggered' || t.state === 'started').map((t) => `${r.id}.${t.name}.${t.attempt}`));
  }

  finishAll(result: Result = 'pass', stage?: string): void {
    for (let i = 0; i < 20; i++) {
      const ids = this.dispatched(stage);
      if (ids.length === 0) return;
      for (const id of ids) this.decide({ type: 'task.finished', taskId: id, result, actor: SLIPWAY_ACTOR });
    }
  }

  run(stage: string, releaseId?: string) {
    return [...this.state.runs.values()].find((r) => r.stage === stage && (releaseId === undefined || r.releaseId === releaseId));
  }

  types(runId: string): string[] {
    return this.log.filter((e) => e.runid === runId && e.type.startsWith('sh.slipway.run.')).map((e) => e.type.slice('sh.slipway.run.'.length));
  }
}

function twoStages(production: Partial<StageLike>, freezes: FreezeWindowSpec[]): Pipeline {
  const p = pipeline('shop', [
    { name: 'dev', tasks: [{ name: 'deploy' }] },
    { name: 'production', tasks: [{ name: 'deploy' }, { name: 'smoke' }], ...production },
  ]);
  return { ...p, freezes };
}

describe('freeze windows in the core', () => {
  it('holds an auto-promoted run while the window holds and starts it when the timer at its end fires', () => {
    const w = new FrozenWorld(twoStages({}, [weekend('everyone')]), FRI - H);
    const release = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' }, by: 'token:ci' }).value!.releaseId!;
    w.advanceTo(FRI + H); // Friday 17:00 CET: dev finishes inside the window
    w.finishAll();
    const run = w.run('production', release)!;
    expect(run.state).toBe('queued');
    expect(run.frozen).toEqual({ windows: ['weekend'], until: MON, since: FRI + H, reason: 'weekend' });
    expect(run.origin).toBe('automation');
    expect(w.dispatched()).toEqual([]);
    const frozen = w.log.find((e) => e.type === 'sh.slipway.run.frozen')!;
    expect(frozen.data).toEqual({ stage: 'production', releaseId: release, windows: ['weekend'], until: MON, reason: 'weekend', origin: 'automation' });

    // Across the clock change on Sunday nothing moves; a millisecond before Monday 08:00 CEST neither.
    w.advanceTo(MON - 1);
    expect(w.run('production', release)!.state).toBe('queued');
    w.advanceTo(MON);
    const started = w.run('production', release)!;
    expect(started.state).toBe('running');
    expect(started.frozen).toBeUndefined();
    expect(w.types(run.id)).toEqual(['queued', 'frozen', 'thawed', 'started']);
    expect(w.dispatched()).toEqual([`${run.id}.deploy.1`]);
    w.finishAll();
    expect(w.run('production', release)!.state).toBe('succeeded');
  });

  it('across the autumn clock change: held from Friday 16:00 CEST, started Monday 08:00 CET (65 real hours)', () => {
    const fri = at('2026-10-23T14:00:00Z');
    const mon = at('2026-10-26T07:00:00Z');
    const w = new FrozenWorld(twoStages({}, [weekend('everyone')]), fri - 30 * 60_000);
    const release = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.advanceTo(fri);
    w.finishAll('pass', 'dev');
    const run = w.run('production', release)!;
    expect(run.frozen).toMatchObject({ windows: ['weekend'], until: mon });
    // 02:30 happens twice on Sunday 25 October; the run waits through both.
    w.advanceTo(at('2026-10-25T01:30:00Z'));
    expect(w.run('production', release)!.state).toBe('queued');
    w.advanceTo(mon - 1);
    expect(w.run('production', release)!.state).toBe('queued');
    w.advanceTo(mon);
    expect(w.run('production', release)!.state).toBe('running');
    expect(mon - fri).toBe(65 * H);
  });

  it('lets a run in flight when the window begins finish', () => {
    const w = new FrozenWorld(twoStages({}, [weekend('everyone')]), FRI - 2 * H);
    const release = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.finishAll('pass', 'dev');
    const run = w.run('production', release)!;
    expect(run.state).toBe('running');
    w.advanceTo(FRI + 5 * 60_000);
    // Its next step starts inside the window, and the run ends normally.
    w.decide({ type: 'task.finished', taskId: `${run.id}.deploy.1`, result: 'pass', actor: SLIPWAY_ACTOR });
    expect(w.dispatched()).toEqual([`${run.id}.smoke.1`]);
    w.finishAll();
    expect(w.run('production', release)!.state).toBe('succeeded');
    expect(w.log.some((e) => e.type === 'sh.slipway.run.frozen')).toBe(false);
  });

  it('a window for automation lets a person promote into a manual stage', () => {
    const p = pipeline('shop', [
      { name: 'dev', tasks: [{ name: 'deploy' }] },
      { name: 'production', promotion: 'manual', tasks: [{ name: 'deploy' }] },
    ]);
    const w = new FrozenWorld({ ...p, freezes: [weekend('automation')] }, FRI + H);
    const release = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.finishAll();
    w.decide({ type: 'promote', project: 'shop', releaseId: release, stage: 'production', by: 'token:alice' });
    expect(w.run('production', release)).toMatchObject({ state: 'running', origin: 'person' });
    expect(w.run('production', release)!.frozen).toBeUndefined();
  });

  it('a window for everyone holds a person too', () => {
    const p = pipeline('shop', [
      { name: 'dev', tasks: [{ name: 'deploy' }] },
      { name: 'production', promotion: 'manual', tasks: [{ name: 'deploy' }] },
    ]);
    const w = new FrozenWorld({ ...p, freezes: [weekend('everyone')] }, FRI + H);
    const release = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.finishAll();
    w.decide({ type: 'promote', project: 'shop', releaseId: release, stage: 'production', by: 'token:alice' });
    expect(w.run('production', release)).toMatchObject({ state: 'queued', origin: 'person', frozen: { windows: ['weekend'], until: MON } });
  });

  it('a person-started run in a stage whose window holds only automation is not held, and a held run does not block it', () => {
    const w = new FrozenWorld(twoStages({ requireUpstream: false }, [weekend('automation')]), FRI + H);
    const auto = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.finishAll();
    expect(w.run('production', auto)!.frozen).toBeDefined();
    const mine = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:2' }, stage: 'production', by: 'token:alice' }).value!.releaseId!;
    expect(w.run('production', mine)!.state).toBe('running');
    // A schedule's trigger (automated) waits its turn behind the person's run, then is held like auto promotion.
    const cron = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:3' }, stage: 'production', automated: true }).value!.releaseId!;
    expect(w.run('production', cron)).toMatchObject({ state: 'queued', origin: 'automation' });
    expect(w.run('production', cron)!.frozen).toBeUndefined();
    w.finishAll('pass', 'production');
    expect(w.run('production', mine)!.state).toBe('succeeded');
    expect(w.run('production', cron)!.frozen?.windows).toEqual(['weekend']);
    expect(w.run('production', auto)!.state).toBe('queued');
  });

  it('an admin override lets one held run start, recorded with who and why; a reason is required', () => {
    const w = new FrozenWorld(twoStages({}, [weekend('everyone')]), FRI + H);
    const release = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.finishAll();
    const run = w.run('production', release)!;
    const noReason = w.decide({ type: 'run.unfreeze', runId: run.id, by: 'token:root' });
    expect(noReason.error?.code).toBe('INVALID_INPUT');
    expect(noReason.error?.message).toMatch(/needs a reason/);
    expect(noReason.events).toEqual([]);

    const d = w.decide({ type: 'run.unfreeze', runId: run.id, by: 'token:root', reason: 'hotfix for the checkout outage' });
    expect(d.error).toBeUndefined();
    const ev = d.events.find((e) => e.type === 'sh.slipway.run.freeze-overridden')!;
    expect(ev.data).toEqual({ stage: 'production', releaseId: release, windows: ['weekend'], by: 'token:root', reason: 'hotfix for the checkout outage' });
    const after = w.run('production', release)!;
    expect(after.state).toBe('running');
    expect(after.freezeOverride).toEqual({ by: 'token:root', reason: 'hotfix for the checkout outage', at: FRI + H, windows: ['weekend'] });
    expect(d.effects).toContainEqual({ type: 'cancelTimer', id: `${run.id}:thaw` });

    // Not held (any more): nothing to override.
    const again = w.decide({ type: 'run.unfreeze', runId: run.id, by: 'token:root', reason: 'again' });
    expect(again.error?.code).toBe('INVALID_STATE');
  });

  it('the override is for one run: the next one is held again', () => {
    const w = new FrozenWorld(twoStages({ requireUpstream: false }, [weekend('everyone')]), FRI + H);
    const a = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' }, stage: 'production' }).value!.releaseId!;
    w.decide({ type: 'run.unfreeze', runId: w.run('production', a)!.id, by: 'token:root', reason: 'hotfix' });
    w.finishAll();
    expect(w.run('production', a)!.state).toBe('succeeded');
    const b = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:2' }, stage: 'production' }).value!.releaseId!;
    expect(w.run('production', b)!.state).toBe('queued');
    expect(w.run('production', b)!.frozen?.until).toBe(MON);
  });

  it('replaying the log rebuilds the frozen and overridden runs', () => {
    const w = new FrozenWorld(twoStages({ requireUpstream: false }, [weekend('everyone')]), FRI + H);
    const a = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' }, stage: 'production' }).value!.releaseId!;
    const b = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:2' }, stage: 'production' }).value!.releaseId!;
    w.decide({ type: 'run.unfreeze', runId: w.run('production', a)!.id, by: 'token:root', reason: 'hotfix' });
    const replayed = createState();
    for (const [k, p] of w.state.pipelines) replayed.pipelines.set(k, p);
    for (const ev of w.log) evolve(replayed, ev);
    for (const id of [a, b]) {
      const run = w.run('production', id)!;
      expect(replayed.runs.get(run.id)).toEqual(run);
    }
  });

  it('a rollback is never held by a freeze', () => {
    const w = new FrozenWorld(twoStages({}, [weekend('everyone', ['*'])]), FRI - 2 * H);
    const good = w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:1' } }).value!.releaseId!;
    w.finishAll();
    w.decide({ type: 'trigger', project: 'shop', artifacts: { web: 'web:2' } });
    w.finishAll();
    w.advanceTo(FRI + H);
    const d = w.decide({ type: 'rollback', project: 'shop', stage: 'production', to: good, by: 'token:alice' });
    expect(d.error).toBeUndefined();
    const back = w.state.runs.get(d.value!.runId!)!;
    expect([back.state, back.frozen]).toEqual(['running', undefined]);
  });
});
