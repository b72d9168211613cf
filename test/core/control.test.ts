import { describe, expect, it } from 'vitest';
import { Harness, pipeline } from './harness.js';

const p = pipeline('c', [
  { name: 'dev', tasks: [{ name: 'deploy' }, { name: 'soak', kind: 'wait' }, { name: 'test' }] },
  { name: 'prod', tasks: [{ name: 'deploy' }] },
]);

describe('core: abort, pause, resume, retry', () => {
  it('abort stops tasks in flight, ends the run aborted and lets the next queued run start', () => {
    const h = new Harness(p);
    const a = h.trigger('c', { svc: 's:1' }).value!.runId!;
    const b = h.trigger('c', { svc: 's:2' }).value!.runId!;
    const d = h.decide({ type: 'run.abort', runId: a, by: 'alice' });
    expect(d.effects.filter((e) => e.type === 'abort').map((e) => e.type === 'abort' && e.taskId)).toEqual([`${a}.deploy.1`]);
    expect(h.state.runs.get(a)!.state).toBe('aborted');
    expect(h.state.runs.get(b)!.state).toBe('running');
    expect(h.decide({ type: 'run.abort', runId: a }).error?.code).toBe('INVALID_STATE');
  });

  it('pause lets the task in flight finish but starts nothing new until resumed', () => {
    const h = new Harness(p);
    const run = h.trigger('c', { svc: 's:1' }).value!.runId!;
    h.decide({ type: 'run.pause', runId: run });
    h.finish(h.dispatched()[0]!);
    expect(h.state.runs.get(run)!.state).toBe('paused');
    expect(h.dispatched()).toEqual([]);
    h.decide({ type: 'run.resume', runId: run });
    expect(h.dispatched()).toEqual([`${run}.soak.1`]);
  });

  it('retry queues a failed run again from the failed task, keeping earlier results', () => {
    const h = new Harness(p);
    const run = h.trigger('c', { svc: 's:1' }).value!.runId!;
    h.finish(h.dispatched()[0]!);
    h.finish(h.dispatched()[0]!, 'fail');
    expect(h.state.runs.get(run)!.state).toBe('failed');
    h.decide({ type: 'run.retry', runId: run });
    const r = h.state.runs.get(run)!;
    expect(r.state).toBe('running');
    expect(r.tasks.map((t) => [t.name, t.state, t.attempt])).toEqual([
      ['deploy', 'finished', 1],
      ['soak', 'triggered', 2],
      ['test', 'pending', 1],
    ]);
    h.drain();
    expect(r.state).toBe('succeeded');
    expect(r.result).toBe('pass');
    expect(h.runsOf('prod')[0]?.state).toBe('succeeded');
  });

  it('a suspended task makes the run wait; a signal it accepts resumes its executor', () => {
    const h = new Harness(p);
    const run = h.trigger('c', { svc: 's:1' }).value!.runId!;
    h.finish(h.dispatched()[0]!);
    const soak = `${run}.soak.1`;
    const until = h.now + 60_000;
    const d = h.decide({ type: 'task.suspended', taskId: soak, until, waitingFor: 'stop|skip' });
    expect(d.effects).toContainEqual({ type: 'settle', taskId: soak });
    expect(d.effects.some((e) => e.type === 'setTimer' && e.timer.dueAt === until && e.timer.input.purpose === 'task.wake')).toBe(true);
    expect(h.state.runs.get(run)!.state).toBe('waiting');
    const bad = h.decide({ type: 'task.signal', taskId: soak, signal: 'approve' });
    expect(bad.error?.message).toContain('it accepts: stop, skip');
    const ok = h.decide({ type: 'task.signal', taskId: soak, signal: 'skip', by: 'bob', payload: { reason: 'looks fine' } });
    expect(ok.effects).toContainEqual({ type: 'resume', taskId: soak, project: 'c', signal: 'skip', payload: { reason: 'looks fine' }, by: 'bob' });
    // The executor now works on the answer: the run runs again, and a second answer is refused.
    expect(ok.events.map((e) => e.type)).toEqual(['sh.slipway.task.soak.signaled', 'sh.slipway.run.resumed']);
    expect(h.state.runs.get(run)!.state).toBe('running');
    expect(h.decide({ type: 'task.signal', taskId: soak, signal: 'stop' }).error?.code).toBe('INVALID_STATE');
    h.finish(soak, 'pass');
    expect(h.state.runs.get(run)!.state).toBe('running');
  });
});
