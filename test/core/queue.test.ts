import { describe, expect, it } from 'vitest';
import { Harness, pipeline } from './harness.js';

const one = (queue: 'fifo' | 'supersede' = 'fifo') => pipeline('q', [{ name: 'dev', queue, tasks: [{ name: 'deploy' }] }]);

describe('core: queueing and the stage-service lock', () => {
  it('releases of the same service into one stage run one at a time, in FIFO order', () => {
    const h = new Harness(one());
    const ids = Array.from({ length: 10 }, (_, i) => h.trigger('q', { svc: `s:${i}` }).value!.releaseId!);
    const startOrder: string[] = [];
    for (let i = 0; i < 10; i++) {
      const running = h.runsOf('dev').filter((r) => r.state === 'running');
      expect(running).toHaveLength(1);
      startOrder.push(running[0]!.releaseId);
      h.finish(h.dispatched()[0]!);
    }
    expect(startOrder).toEqual(ids);
  });

  it('runs for different services of one stage go on in parallel', () => {
    const h = new Harness(one());
    h.trigger('q', { frontend: 'f:1' });
    h.trigger('q', { backend: 'b:1' });
    expect(h.runsOf('dev').map((r) => r.state)).toEqual(['running', 'running']);
  });

  it('a release bracket waits while any of its services is busy, and blocks later runs of those services', () => {
    const h = new Harness(one());
    h.trigger('q', { frontend: 'f:1' });
    h.trigger('q', { frontend: 'f:2', backend: 'b:2' });
    h.trigger('q', { backend: 'b:3' });
    expect(h.runsOf('dev').map((r) => r.state)).toEqual(['running', 'queued', 'queued']);
    h.finish(h.dispatched()[0]!);
    expect(h.runsOf('dev').map((r) => r.state)).toEqual(['succeeded', 'running', 'queued']);
  });

  it('with supersede only the newest waiting release runs next; the running one is never touched', () => {
    const h = new Harness(one('supersede'));
    const first = h.trigger('q', { svc: 's:0' }).value!.runId!;
    for (let i = 1; i <= 4; i++) h.trigger('q', { svc: `s:${i}` });
    const runs = h.runsOf('dev');
    expect(runs.map((r) => r.state)).toEqual(['running', 'aborted', 'aborted', 'aborted', 'queued']);
    expect(runs[1]!.reason).toContain('superseded by release');
    h.finish(h.dispatched()[0]!);
    expect(h.state.runs.get(first)!.state).toBe('succeeded');
    expect(runs[4]!.state).toBe('running');
    expect(runs[4]!.releaseId).toBe(h.runsOf('dev')[4]!.releaseId);
  });
});

describe('core: entering a later stage directly', () => {
  const p = pipeline('shop', [
    { name: 'dev', tasks: [{ name: 'a' }] },
    { name: 'hardening', tasks: [{ name: 'a' }] },
    { name: 'production', tasks: [{ name: 'a' }] },
  ]);

  it('is refused with the artifact and the stage it has not passed', () => {
    const h = new Harness(p);
    const d = h.trigger('shop', { frontend: 'fe:1', backend: 'be:1' }, 'hardening');
    expect(d.error?.code).toBe('UPSTREAM_NOT_PASSED');
    expect(d.error?.message).toContain("backend=be:1 has not passed 'dev'");
    expect(d.error?.message).toContain("frontend=fe:1 has not passed 'dev'");
    expect(d.error?.fields.field).toBe('artifacts.backend');
  });

  it('is accepted when each artifact passed the upstream stages in releases of its own (release bracket)', () => {
    const h = new Harness(p);
    h.trigger('shop', { frontend: 'fe:1' });
    h.trigger('shop', { backend: 'be:1' });
    h.drain('pass', 1);
    for (const r of h.runsOf('hardening')) h.decide({ type: 'run.abort', runId: r.id });
    const d = h.trigger('shop', { frontend: 'fe:1', backend: 'be:1' }, 'hardening');
    expect(d.error).toBeUndefined();
    h.drain();
    const prod = h.runsOf('production').find((r) => r.releaseId === d.value!.releaseId)!;
    expect(prod.state).toBe('succeeded');
    expect(prod.services).toEqual(['backend', 'frontend']);
  });

  it('is refused when an artifact failed upstream', () => {
    const h = new Harness(p);
    h.trigger('shop', { frontend: 'fe:1' });
    h.finish(h.dispatched()[0]!, 'fail');
    const d = h.trigger('shop', { frontend: 'fe:1' }, 'hardening');
    expect(d.error?.code).toBe('UPSTREAM_NOT_PASSED');
  });

  it('is accepted when the stage sets requireUpstream: false', () => {
    const q = pipeline('shop', [{ name: 'dev', tasks: [{ name: 'a' }] }, { name: 'hotfix', requireUpstream: false, tasks: [{ name: 'a' }] }]);
    const h = new Harness(q);
    expect(h.trigger('shop', { frontend: 'fe:9' }, 'hotfix').error).toBeUndefined();
  });
});

describe('core: the stage index', () => {
  it('always equals what the runs say, through queueing, supersede, abort, retry and finish', () => {
    const p = pipeline('q', [
      { name: 'dev', queue: 'supersede', tasks: [{ name: 'a' }] },
      { name: 'prod', tasks: [{ name: 'a' }] },
    ]);
    const h = new Harness(p);
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const services = ['a', 'b', 'c'];
    for (let i = 0; i < 300; i++) {
      const op = rnd(5);
      const ids = h.dispatched();
      if (op === 0 || ids.length === 0) {
        const pick = services.filter(() => rnd(2) === 0);
        h.trigger('q', Object.fromEntries((pick.length ? pick : ['a']).map((s) => [s, `${s}:${i}`])));
      } else if (op === 1) h.finish(ids[rnd(ids.length)]!, 'fail');
      else if (op === 2) {
        const failed = [...h.state.runs.values()].filter((r) => r.state === 'failed');
        if (failed.length) h.decide({ type: 'run.retry', runId: failed[rnd(failed.length)]!.id });
      } else if (op === 3) {
        const open = [...h.state.runs.values()].filter((r) => r.state === 'queued' || r.state === 'running');
        if (open.length) h.decide({ type: 'run.abort', runId: open[rnd(open.length)]!.id });
      } else h.finish(ids[rnd(ids.length)]!, 'pass');

      for (const stage of ['dev', 'prod']) {
        const runs = [...h.state.runs.values()].filter((r) => r.stage === stage);
        const ix = h.state.stages.get(`q\0${stage}`);
        const queued = runs.filter((r) => r.state === 'queued').sort((a, b) => a.queueSeq - b.queueSeq).map((r) => r.id);
        expect([...(ix?.queued ?? [])]).toEqual(queued);
        const busy = new Map<string, number>();
        for (const r of runs.filter((x) => ['running', 'waiting', 'paused'].includes(x.state))) for (const s of r.services) busy.set(s, (busy.get(s) ?? 0) + 1);
        expect(new Map([...(ix?.busy ?? [])].sort())).toEqual(new Map([...busy].sort()));
        for (const v of busy.values()) expect(v).toBe(1);
      }
    }
  });
});
