/**
 * Who may act on a task, decided by core.decide: Slipway's own executors on any task; an
 * outside executor only on the task it claimed (its name and lease token), never on a
 * kind Slipway runs itself, only on kinds its token serves. A refusal changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { DecideContext, ExecutorActor, SlipwayEvent } from '../../src/core/index.js';
import { SLIPWAY_ACTOR, createState, decide, emptyDirty, evolve } from '../../src/core/index.js';
import { pipeline, sha } from './harness.js';

const p = pipeline('k', [{ name: 'dev', tasks: [{ name: 'build', kind: 'shell' }, { name: 'test', kind: 'pytest', retries: 1 }] }]);
const ctx: DecideContext = { now: Date.UTC(2026, 0, 1), hash: sha, defaultTimeoutMs: () => 60_000, startsOnDispatch: (kind) => kind === 'shell' };

function setUp() {
  const state = createState();
  state.pipelines.set('k', p);
  const log: SlipwayEvent[] = [];
  let n = 0;
  const run = (input: Parameters<typeof decide>[1]) => {
    const d = decide(state, input, ctx);
    state.dirty = emptyDirty();
    log.push(...d.events);
    return d;
  };
  const runId = run({ type: 'trigger', id: 't', project: 'k', artifacts: { api: '1' } }).value!.runId!;
  const task = (name: string) => state.runs.get(runId)!.tasks.find((t) => t.name === name)!;
  const build = `${runId}.build.1`;
  const test = `${runId}.test.1`;
  const id = () => `in-${n++}`;
  return { state, log, run, runId, task, build, test, id };
}

const executor = (name: string, leaseToken?: string, kinds?: string[]): ExecutorActor => ({ type: 'executor', executor: name, ...(leaseToken ? { leaseToken } : {}), ...(kinds ? { kinds } : {}) });

/** Brings the run to its outside task `test` (the shell task `build` finished by Slipway). */
function atTest() {
  const s = setUp();
  expect(s.run({ type: 'task.finished', id: s.id(), taskId: s.build, result: 'pass', actor: SLIPWAY_ACTOR }).error).toBeUndefined();
  expect(s.task('test').state).toBe('triggered');
  return s;
}

describe('core: claim ownership', () => {
  it('refuses an outside executor a task of a kind Slipway runs itself, whatever it claims', () => {
    const s = setUp();
    for (const input of [
      { type: 'task.finished' as const, id: s.id(), taskId: s.build, result: 'pass' as const, actor: executor('ci', 'sll_x') },
      { type: 'task.started' as const, id: s.id(), taskId: s.build, actor: executor('ci') },
      { type: 'task.heartbeat' as const, id: s.id(), taskId: s.build, leaseMs: 86_400_000, actor: executor('ci', 'sll_x') },
      { type: 'task.claimed' as const, id: s.id(), taskId: s.build, executor: 'ci', leaseMs: 1000, leaseToken: 'sll_x' },
    ]) {
      const d = s.run(input);
      expect(d.error).toMatchObject({ code: 'BUILTIN_TASK', fields: { field: 'taskid' } });
      expect(d.events).toEqual([]);
      expect(d.effects).toEqual([]);
    }
    expect(s.task('build').state).toBe('started');
    expect(s.run({ type: 'task.finished', id: s.id(), taskId: s.build, result: 'fail', actor: SLIPWAY_ACTOR }).events.length).toBeGreaterThan(0);
    expect(s.task('build').result).toBe('fail');
  });

  it('refuses a report on an unclaimed task, which stays triggered', () => {
    const s = atTest();
    for (const input of [
      { type: 'task.started' as const, id: s.id(), taskId: s.test, actor: executor('mallory') },
      { type: 'task.finished' as const, id: s.id(), taskId: s.test, result: 'pass' as const, actor: executor('mallory', 'sll_guess') },
      { type: 'task.heartbeat' as const, id: s.id(), taskId: s.test, leaseMs: 1000, actor: executor('mallory') },
    ]) {
      const d = s.run(input);
      expect(d.error).toMatchObject({ code: 'NOT_CLAIM_HOLDER', fields: { field: 'taskid' } });
      expect(d.error!.message).toMatch(/is not claimed/);
      expect(d.events).toEqual([]);
    }
    expect(s.task('test').state).toBe('triggered');
  });

  it('lets only the holder (same executor, same lease token) start, heartbeat and finish a claimed task', () => {
    const s = atTest();
    const claimed = s.run({ type: 'task.claimed', id: s.id(), taskId: s.test, executor: 'ci-a', leaseMs: 10_000, leaseToken: 'sll_secret-a' });
    expect(claimed.error).toBeUndefined();
    expect(s.task('test').claim).toEqual({ executor: 'ci-a', leaseHash: sha('lease:sll_secret-a') });
    expect(JSON.stringify(s.log)).not.toContain('sll_secret-a');

    const refused = [
      executor('ci-b', 'sll_secret-a'),
      executor('ci-a'),
      executor('ci-a', 'sll_secret-b'),
      { type: 'executor' as const, leaseToken: 'sll_secret-a' },
    ];
    for (const actor of refused) {
      for (const d of [
        s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'fail', actor }),
        s.run({ type: 'task.heartbeat', id: s.id(), taskId: s.test, leaseMs: 86_400_000, actor }),
        s.run({ type: 'task.started', id: s.id(), taskId: s.test, actor }),
      ]) {
        expect(d.error?.code).toBe('NOT_CLAIM_HOLDER');
        expect(d.events).toEqual([]);
        expect(d.effects).toEqual([]);
      }
    }
    const holder = executor('ci-a', 'sll_secret-a');
    expect(s.run({ type: 'task.started', id: s.id(), taskId: s.test, actor: holder }).ignored).toMatch(/started/);
    expect(s.run({ type: 'task.heartbeat', id: s.id(), taskId: s.test, leaseMs: 5000, actor: holder }).value?.leaseExpiresAt).toBe(ctx.now + 5000);
    const done = s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'pass', actor: holder });
    expect(done.error).toBeUndefined();
    expect(s.state.runs.get(s.runId)!.state).toBe('succeeded');
    // A repeat by the holder is a harmless duplicate; anyone else is still refused.
    expect(s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'fail', actor: holder }).ignored).toMatch(/already finished/);
    expect(s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'fail', actor: executor('ci-b') }).error?.code).toBe('NOT_CLAIM_HOLDER');
  });

  it('a token limited to other kinds may neither claim nor report on the task', () => {
    const s = atTest();
    const claim = s.run({ type: 'task.claimed', id: s.id(), taskId: s.test, executor: 'perf', leaseMs: 10_000, leaseToken: 'sll_p', kinds: ['jmeter'] });
    expect(claim.error).toMatchObject({ code: 'FORBIDDEN', fields: { field: 'taskid' } });
    expect(claim.error!.message).toContain('execute:pytest');
    expect(s.task('test').state).toBe('triggered');
    s.run({ type: 'task.claimed', id: s.id(), taskId: s.test, executor: 'ci-a', leaseMs: 10_000, leaseToken: 'sll_a' });
    const d = s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'pass', actor: executor('ci-a', 'sll_a', ['jmeter']) });
    expect(d.error?.code).toBe('FORBIDDEN');
    expect(s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'pass', actor: executor('ci-a', 'sll_a', ['jmeter', 'pytest']) }).error).toBeUndefined();
  });

  it('a new attempt has no holder: the old holder\'s replies about its attempt change nothing, and it cannot touch the new one', () => {
    const s = atTest();
    s.run({ type: 'task.claimed', id: s.id(), taskId: s.test, executor: 'ci-a', leaseMs: 10_000, leaseToken: 'sll_a' });
    s.run({ type: 'timer', id: s.id(), timerId: `${s.test}:lease`, purpose: 'task.lease', taskId: s.test });
    expect(s.task('test')).toMatchObject({ state: 'scheduled', attempt: 2 });
    expect(s.task('test').claim).toBeUndefined();
    const old = executor('ci-a', 'sll_a');
    expect(s.run({ type: 'task.finished', id: s.id(), taskId: s.test, result: 'pass', actor: old }).ignored).toBeDefined();
    const second = `${s.runId}.test.2`;
    expect(s.run({ type: 'task.finished', id: s.id(), taskId: second, result: 'pass', actor: old }).error?.code).toBe('NOT_CLAIM_HOLDER');
  });

  it('replaying the log rebuilds the holder; a task started before claims had tokens has none and refuses executors', () => {
    const s = atTest();
    s.run({ type: 'task.claimed', id: s.id(), taskId: s.test, executor: 'ci-a', leaseMs: 10_000, leaseToken: 'sll_a' });
    const replay = (events: SlipwayEvent[]) => {
      const state = createState();
      state.pipelines.set('k', p);
      for (const ev of JSON.parse(JSON.stringify(events)) as SlipwayEvent[]) evolve(state, ev);
      return state;
    };
    const rebuilt = replay(s.log);
    expect(rebuilt.runs.get(s.runId)!.tasks.find((t) => t.name === 'test')!.claim).toEqual({ executor: 'ci-a', leaseHash: sha('lease:sll_a') });

    // An event log written by an earlier version: `.started` carries no executor and no hash.
    const legacy = s.log.map((ev) => (ev.type === 'sh.slipway.task.test.started' ? { ...ev, data: { ...ev.data, executor: undefined, leaseHash: undefined } } : ev));
    const old = replay(legacy);
    const task = old.runs.get(s.runId)!.tasks.find((t) => t.name === 'test')!;
    expect(task).toMatchObject({ state: 'started' });
    expect(task.claim).toBeUndefined();
    const d = decide(old, { type: 'task.finished', id: 'late', taskId: s.test, result: 'pass', actor: executor('ci-a', 'sll_a') }, ctx);
    expect(d.error?.code).toBe('NOT_CLAIM_HOLDER');
    expect(d.error!.message).toMatch(/started before claims carried lease tokens/);
    // Its lease still runs out as before: the timer fails it and a retry is claimed anew.
    const expired = decide(old, { type: 'timer', id: 'lease', timerId: `${s.test}:lease`, purpose: 'task.lease', taskId: s.test }, ctx);
    expect(expired.events.map((e) => e.type)).toContain('sh.slipway.task.test.finished');
  });
});
