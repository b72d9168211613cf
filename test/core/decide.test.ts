import { describe, expect, it } from 'vitest';
import { SLIPWAY_ACTOR, createState, emptyDirty, evolve, decide } from '../../src/core/index.js';
import { Harness, pipeline, sha } from './harness.js';

const shop = pipeline('shop', [
  { name: 'dev', tasks: [{ name: 'deploy' }, { name: 'test' }] },
  { name: 'hardening', tasks: [{ name: 'deploy' }] },
  { name: 'production', tasks: [{ name: 'deploy' }] },
]);

describe('core.decide: a run', () => {
  it('runs its tasks in order and succeeds when all pass', () => {
    const h = new Harness(shop);
    const d = h.trigger('shop', { frontend: 'fe:1' });
    expect(d.error).toBeUndefined();
    const [deploy] = h.dispatched();
    expect(deploy).toMatch(/\.deploy\.1$/);
    expect(d.effects.filter((e) => e.type === 'dispatch')).toHaveLength(1);
    h.finish(deploy!);
    const [test] = h.dispatched();
    expect(test).toMatch(/\.test\.1$/);
    h.finish(test!);
    const dev = h.runsOf('dev')[0]!;
    expect(dev.state).toBe('succeeded');
    expect(dev.result).toBe('pass');
    expect(h.types().slice(0, 9)).toEqual([
      'release.created',
      'run.queued',
      'run.started',
      'task.deploy.triggered',
      'task.deploy.finished',
      'task.test.triggered',
      'task.test.finished',
      'run.finished',
      'run.queued',
    ]);
  });

  it('promotes a passing release automatically, stage by stage', () => {
    const h = new Harness(shop);
    h.trigger('shop', { frontend: 'fe:1' });
    h.drain();
    expect(['dev', 'hardening', 'production'].map((s) => h.runsOf(s)[0]?.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const live = [...h.state.live.values()].map((l) => [l.stage, l.service, l.artifact, l.state, l.lastGoodArtifact]);
    expect(live).toEqual([
      ['dev', 'frontend', 'fe:1', 'succeeded', 'fe:1'],
      ['hardening', 'frontend', 'fe:1', 'succeeded', 'fe:1'],
      ['production', 'frontend', 'fe:1', 'succeeded', 'fe:1'],
    ]);
  });

  it('stops at a manual stage and announces the release as promotable; a promotion queues it', () => {
    const p = pipeline('m', [{ name: 'dev', tasks: [{ name: 'a' }] }, { name: 'prod', promotion: 'manual', tasks: [{ name: 'a' }] }]);
    const h = new Harness(p);
    const rel = h.trigger('m', { svc: 's:1' }).value!.releaseId!;
    h.drain();
    expect(h.runsOf('prod')).toHaveLength(0);
    expect(h.types()).toContain('release.promotable');
    const d = h.decide({ type: 'promote', project: 'm', releaseId: rel, stage: 'prod' });
    expect(d.error).toBeUndefined();
    h.drain();
    expect(h.runsOf('prod')[0]?.state).toBe('succeeded');
  });

  it('refuses to promote a release that has not passed the upstream stage', () => {
    const p = pipeline('m', [{ name: 'dev', tasks: [{ name: 'a' }] }, { name: 'prod', promotion: 'manual', tasks: [{ name: 'a' }] }]);
    const h = new Harness(p);
    const rel = h.trigger('m', { svc: 's:1' }).value!.releaseId!;
    const d = h.decide({ type: 'promote', project: 'm', releaseId: rel, stage: 'prod' });
    expect(d.error?.code).toBe('NOT_PROMOTABLE');
    expect(d.error?.message).toContain("has not passed dev");
    expect(d.events).toHaveLength(0);
  });

  it('a fan-in stage starts only when every upstream stage passed the same release', () => {
    const p = pipeline('f', [
      { name: 'dev', tasks: [{ name: 'a' }] },
      { name: 'perf', after: ['dev'], tasks: [{ name: 'a' }] },
      { name: 'security', after: ['dev'], tasks: [{ name: 'a' }] },
      { name: 'prod', after: ['perf', 'security'], tasks: [{ name: 'a' }] },
    ]);
    const h = new Harness(p);
    h.trigger('f', { svc: 's:1' });
    h.drain('pass', 1); // dev
    expect(h.runsOf('perf')).toHaveLength(1);
    expect(h.runsOf('security')).toHaveLength(1);
    const perfTask = h.dispatched().find((id) => id.startsWith(h.runsOf('perf')[0]!.id))!;
    h.finish(perfTask);
    expect(h.runsOf('prod')).toHaveLength(0);
    h.drain();
    expect(h.runsOf('prod')).toHaveLength(1);
    expect(h.runsOf('prod')[0]!.state).toBe('succeeded');
  });

  it('a failed task stops the run; failure-only tasks still run; the run fails and does not promote', () => {
    const p = pipeline('x', [
      { name: 'dev', tasks: [{ name: 'deploy' }, { name: 'test' }, { name: 'cleanup', if: { kind: 'failure' } }, { name: 'notify', if: { kind: 'always' } }] },
      { name: 'prod', tasks: [{ name: 'deploy' }] },
    ]);
    const h = new Harness(p);
    h.trigger('x', { svc: 's:1' });
    h.finish(h.dispatched()[0]!, 'fail');
    const run = h.runsOf('dev')[0]!;
    expect(run.tasks.map((t) => t.state)).toEqual(['finished', 'skipped', 'triggered', 'pending']);
    h.drain();
    expect(run.state).toBe('failed');
    expect(run.result).toBe('fail');
    expect(h.runsOf('prod')).toHaveLength(0);
  });

  it('continueOnFailure lets the run go on and counts the failure as a warning', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'lint', continueOnFailure: true }, { name: 'deploy' }] }, { name: 'prod', tasks: [{ name: 'a' }] }]);
    const h = new Harness(p);
    h.trigger('x', { svc: 's:1' });
    h.finish(h.dispatched()[0]!, 'fail');
    h.drain('pass', 1);
    const run = h.runsOf('dev')[0]!;
    expect(run.state).toBe('succeeded');
    expect(run.result).toBe('warning');
    expect(h.runsOf('prod')).toHaveLength(1);
  });

  it('a run result is the worst task result', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'a' }, { name: 'b' }] }]);
    const h = new Harness(p);
    h.trigger('x', { svc: 's:1' });
    h.finish(h.dispatched()[0]!, 'warning');
    h.finish(h.dispatched()[0]!, 'pass');
    expect(h.runsOf('dev')[0]!.result).toBe('warning');
  });

  it('a parallel group triggers its tasks together and moves on when all ended', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'deploy' }, [{ name: 'perf' }, { name: 'sec' }], { name: 'release' }] }]);
    const h = new Harness(p);
    h.trigger('x', { svc: 's:1' });
    h.finish(h.dispatched()[0]!);
    const group = h.dispatched();
    expect(group.map((id) => id.split('.')[1])).toEqual(['perf', 'sec']);
    h.finish(group[0]!);
    expect(h.dispatched()).toEqual([group[1]]);
    h.finish(group[1]!);
    expect(h.dispatched()[0]).toMatch(/\.release\.1$/);
  });

  it('a failed task with retries is scheduled again after a backoff, with the next attempt', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'flaky', retries: 2 }] }]);
    const h = new Harness(p);
    h.trigger('x', { svc: 's:1' });
    const first = h.dispatched()[0]!;
    const d = h.finish(first, 'fail');
    const timer = d.effects.find((e) => e.type === 'setTimer' && e.timer.input.purpose === 'task.retry');
    expect(timer).toBeDefined();
    if (timer?.type !== 'setTimer') throw new Error('no timer');
    expect(timer.timer.dueAt).toBe(h.now + 1000);
    expect(h.runsOf('dev')[0]!.state).toBe('running');
    h.now += 1000;
    h.decide({ type: 'timer', timerId: timer.timer.id, purpose: 'task.retry', taskId: timer.timer.input.taskId });
    expect(h.dispatched()).toEqual([first.replace(/\.1$/, '.2')]);
    h.finish(h.dispatched()[0]!, 'pass');
    expect(h.runsOf('dev')[0]!.state).toBe('succeeded');
    expect(h.runsOf('dev')[0]!.result).toBe('pass');
  });

  it('a non-retryable failure is not retried', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'flaky', retries: 2 }] }]);
    const h = new Harness(p);
    h.trigger('x', { svc: 's:1' });
    h.finish(h.dispatched()[0]!, 'fail', { retryable: false });
    expect(h.runsOf('dev')[0]!.state).toBe('failed');
  });

  it('a task timer past its deadline fails the task and aborts its executor', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'slow', timeoutMs: 5000 }] }]);
    const h = new Harness(p);
    const d = h.trigger('x', { svc: 's:1' });
    const t = d.effects.find((e) => e.type === 'setTimer');
    if (t?.type !== 'setTimer') throw new Error('no timeout timer');
    expect(t.timer.dueAt).toBe(h.now + 5000);
    h.now += 5000;
    const out = h.decide({ type: 'timer', timerId: t.timer.id, purpose: 'task.timeout', taskId: t.timer.input.taskId });
    expect(out.effects.some((e) => e.type === 'abort')).toBe(true);
    const run = h.runsOf('dev')[0]!;
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.message).toContain('timed out after 5s');
  });

  it('a delayed task waits for its timer before it is triggered', () => {
    const p = pipeline('x', [{ name: 'dev', tasks: [{ name: 'later', delayMs: 120_000 }] }]);
    const h = new Harness(p);
    const d = h.trigger('x', { svc: 's:1' });
    expect(h.dispatched()).toEqual([]);
    const t = d.effects.find((e) => e.type === 'setTimer');
    if (t?.type !== 'setTimer') throw new Error('no delay timer');
    expect(t.timer.input.purpose).toBe('task.delay');
    h.now += 120_000;
    h.decide({ type: 'timer', timerId: t.timer.id, purpose: 'task.delay', taskId: t.timer.input.taskId });
    expect(h.dispatched()).toHaveLength(1);
  });

  it('a second report of the same finished task changes nothing', () => {
    const h = new Harness(shop);
    h.trigger('shop', { frontend: 'fe:1' });
    const id = h.dispatched()[0]!;
    h.finish(id);
    const again = h.finish(id, 'fail');
    expect(again.events).toEqual([]);
    expect(again.ignored).toMatch(/already finished/);
    const stale = h.finish(id.replace(/\.1$/, '.7'), 'fail');
    expect(stale.events).toEqual([]);
  });

  it('triggering a release already running in a stage does not queue it twice', () => {
    const h = new Harness(shop);
    const a = h.trigger('shop', { frontend: 'fe:1' });
    const b = h.trigger('shop', { frontend: 'fe:1' });
    expect(b.value?.runId).toBe(a.value?.runId);
    expect(b.events).toEqual([]);
  });

  it('the release id depends on the artifacts only, not their order or provenance', () => {
    const h = new Harness(shop);
    const a = h.decide({ type: 'trigger', project: 'shop', artifacts: { a: '1', b: '2' }, provenance: { commit: 'x' } });
    const h2 = new Harness(shop);
    const b = h2.decide({ type: 'trigger', project: 'shop', artifacts: { b: '2', a: '1' } });
    expect(a.value?.releaseId).toBe(b.value?.releaseId);
    expect(h2.trigger('shop', { a: '1', b: '3' }).value?.releaseId).not.toBe(a.value?.releaseId);
  });
});

describe('core.decide: bad input changes nothing', () => {
  it.each([
    [{ project: 'nope', artifacts: { a: '1' } }, 'UNKNOWN_PROJECT', "project 'nope' is not defined; defined projects: shop"],
    [{ project: 'shop', artifacts: { a: '1' }, stage: 'prod' }, 'UNKNOWN_STAGE', 'defined stages: dev, hardening, production'],
    [{ project: 'shop', artifacts: {} }, 'INVALID_INPUT', 'at least one artifact'],
    [{ project: 'shop', artifacts: { a: 'has space' } }, 'INVALID_ARTIFACT', "artifact for service 'a' is invalid"],
    [{ project: 'shop', artifacts: { Frontend: '1' } }, 'INVALID_INPUT', "service name 'Frontend' is invalid"],
    [{ project: 'shop', artifacts: { ['s'.repeat(64)]: '1' } }, 'INVALID_INPUT', 'at most 63'],
  ])('trigger %j → %s', (input, code, message) => {
    const h = new Harness(shop);
    const d = h.decide({ type: 'trigger', ...input });
    expect(d.error?.code).toBe(code);
    expect(d.error?.message).toContain(message);
    expect(d.events).toEqual([]);
    expect(h.state.runs.size).toBe(0);
  });

  it('refuses an undeclared service', () => {
    const h = new Harness(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a' }] }], ['frontend']));
    const d = h.trigger('p', { backend: 'b:1' });
    expect(d.error?.code).toBe('UNKNOWN_SERVICE');
    expect(d.error?.message).toContain('declared services: frontend');
  });
});

describe('core.decide: replay', () => {
  it('replaying the event log from an empty state rebuilds runs and the live table', () => {
    const h = new Harness(shop);
    h.trigger('shop', { frontend: 'fe:1' });
    h.drain();
    h.trigger('shop', { frontend: 'fe:2' });
    h.finish(h.dispatched()[0]!, 'fail');
    const replayed = createState();
    replayed.pipelines = h.state.pipelines;
    for (const ev of JSON.parse(JSON.stringify(h.log))) evolve(replayed, ev);
    expect([...replayed.runs.values()]).toEqual([...h.state.runs.values()]);
    expect([...replayed.live.values()]).toEqual([...h.state.live.values()]);
  });

  it('the same state and input give the same events', () => {
    const make = () => {
      const h = new Harness(shop);
      h.trigger('shop', { frontend: 'fe:1' });
      return h;
    };
    const a = make();
    const b = make();
    const input = { type: 'task.finished' as const, id: 'x', taskId: a.dispatched()[0]!, result: 'pass' as const, actor: SLIPWAY_ACTOR };
    const ctx = { now: a.now, hash: sha, defaultTimeoutMs: () => 1000 };
    const da = decide(a.state, input, ctx);
    const db = decide(b.state, input, ctx);
    a.state.dirty = emptyDirty();
    expect(da.events).toEqual(db.events);
    expect(da.effects).toEqual(db.effects);
  });
});

describe('core.decide: tasks an executor in this process runs', () => {
  it('are recorded started with their trigger, in one decision; other kinds wait for a claim', () => {
    const p = pipeline('k', [{ name: 'dev', tasks: [{ name: 'build', kind: 'shell' }, { name: 'test', kind: 'pytest' }] }]);
    const state = createState();
    state.pipelines.set('k', p);
    const ctx = { now: Date.UTC(2026, 0, 1), hash: sha, defaultTimeoutMs: () => 1000, startsOnDispatch: (kind: string) => kind === 'shell' };
    const d = decide(state, { type: 'trigger', id: 't1', project: 'k', artifacts: { api: '1' } }, ctx);
    const tasks = d.events.filter((e) => e.type.startsWith('sh.slipway.task.')).map((e) => e.type.replace('sh.slipway.task.', ''));
    expect(tasks).toEqual(['build.triggered', 'build.started']);
    const started = d.events.find((e) => e.type === 'sh.slipway.task.build.started')!;
    expect(started.triggeredid).toBe(d.events.find((e) => e.type === 'sh.slipway.task.build.triggered')!.id);
    const taskId = started.taskid!;
    const next = decide(state, { type: 'task.finished', id: 'f1', taskId, result: 'pass', actor: SLIPWAY_ACTOR }, ctx);
    expect(next.events.filter((e) => e.type.startsWith('sh.slipway.task.')).map((e) => e.type.replace('sh.slipway.task.', ''))).toEqual(['build.finished', 'test.triggered']);
  });
});
