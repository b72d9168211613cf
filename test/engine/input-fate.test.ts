/**
 * One input, one fate: an input that cannot be applied fails alone, with an error naming
 * it, and the inputs batched with it commit as if it had never been there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/index.js';
import { SlipwayError, taskId } from '../../src/core/index.js';
import { Engine } from '../../src/engine/index.js';
import { createNoopExecutor, createWaitExecutor } from '../../src/executors/index.js';
import type { CommitBatch, Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let real: Store;
let engines: Engine[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-input-fate-'));
  real = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  for (const e of engines) await e.stop();
  engines = [];
  await real.close();
  await rm(dir, { recursive: true, force: true });
});

const services = ['soaked', ...Array.from({ length: 12 }, (_, i) => `s${i}`), 'poison'];

/** The real store, its commit passed through `gate` first (which may throw to play a failing write). */
function storeWith(gate: (b: CommitBatch) => void): Store {
  const s: Store = Object.create(real) as Store;
  s.commit = async (b) => {
    gate(b);
    return real.commit(b);
  };
  return s;
}

async function engine(store: Store = real) {
  const e = new Engine({ store, workDir: dir, executors: [createNoopExecutor(), createWaitExecutor()] });
  engines.push(e);
  await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'soak', kind: 'wait', properties: { duration: '1h' } }] }], services), { text: 'x', origin: 'test', dir });
  await e.start();
  return e;
}

const trigger = (e: Engine, service: string) => e.submit({ type: 'trigger', id: crypto.randomUUID(), project: 'p', artifacts: { [service]: '1' } });

/** A value nested `depth` levels: JSON.stringify overflows the stack on it. */
function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Settles every promise; what each did, in order. */
async function outcomes(ps: Promise<Decision>[]) {
  return Promise.allSettled(ps);
}

async function soakWaiting(e: Engine): Promise<string> {
  const waiting = new Promise<void>((r) => e.emitter.on('event', (ev) => ev.type.endsWith('soak.waiting') && r()));
  const d = await trigger(e, 'soaked');
  await waiting;
  return taskId(d.value!.runId!, 'soak', 1);
}

describe('one input, one fate', () => {
  it('an input whose events cannot be encoded fails alone with INVALID_INPUT naming it; the inputs batched with it commit', async () => {
    const e = await engine();
    const soak = await soakWaiting(e);
    let commits = 0;
    e.emitter.on('committed', () => commits++);
    const before = services.slice(1, 7).map((s) => trigger(e, s));
    const bad = e.submit({ type: 'task.signal', id: 'hostile-signal', taskId: soak, signal: 'skip', payload: nested(10_000) });
    const after = services.slice(7, 13).map((s) => trigger(e, s));
    const [good, [badOutcome]] = await Promise.all([outcomes([...before, ...after]), outcomes([bad])]);

    expect(good.map((o) => o.status)).toEqual(Array(12).fill('fulfilled'));
    expect(badOutcome!.status).toBe('rejected');
    const err = (badOutcome as PromiseRejectedResult).reason as SlipwayError;
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('hostile-signal');
    expect(err.message).toContain(soak);
    expect(err.fields.field).toBe('payload');

    const runs = await real.listRuns({ limit: 100 });
    expect(runs.map((r) => r.services[0]).sort()).toEqual(services.slice(0, 13).sort());
    const soaked = runs.find((r) => r.services[0] === 'soaked')!;
    expect(soaked.tasks[0]!.state).toBe('waiting');
    expect((await real.events({})).some((ev) => ev.event.type.endsWith('soak.signaled'))).toBe(false);
    // The good inputs still went in one transaction, not one each.
    expect(commits).toBeLessThan(12);
    // The engine goes on: a plain signal to the same soak is applied.
    await e.apply({ type: 'task.signal', id: 'plain-signal', taskId: soak, signal: 'skip' });
  });

  it('when the store refuses a write for one input only, that input fails alone and the rest of its batch commits', async () => {
    let attempts = 0;
    const e = await engine(
      storeWith((b) => {
        attempts++;
        if (b.runs.some((r) => r.services.includes('poison'))) throw new Error('constraint failed: poison');
      }),
    );
    attempts = 0;
    const ps = ['s0', 's1', 's2', 's3', 'poison', 's4', 's5', 's6', 's7'].map((s) => trigger(e, s));
    const done = await outcomes(ps);

    expect(done.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const err = (done[4] as PromiseRejectedResult).reason as SlipwayError;
    expect(err.code).toBe('STORE');
    expect(err.message).toMatch(/store could not commit: constraint failed: poison \(trigger input .* of project p\)/);
    const runs = await real.listRuns({ limit: 100 });
    expect(runs.map((r) => r.services[0]).sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    // Found by halving, not by committing each input alone.
    expect(attempts).toBeLessThan(9);
  });

  it('when the store cannot read what one input needs, that input fails alone and the rest of its batch commits', async () => {
    const store: Store = Object.create(real) as Store;
    store.artifactPasses = async (project, service, artifact) => {
      if (service === 'poison') throw new Error('database disk image is malformed');
      return real.artifactPasses(project, service, artifact);
    };
    const e = await engine(store);
    const ps = ['s0', 's1', 'poison', 's2', 's3'].map((s) => trigger(e, s));
    const done = await outcomes(ps);

    expect(done.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const err = (done[2] as PromiseRejectedResult).reason as SlipwayError;
    expect(err.code).toBe('STORE');
    expect(err.message).toMatch(/could not read what the input needs: database disk image is malformed \(trigger input .* of project p\)/);
    expect((await real.listRuns({ limit: 100 })).map((r) => r.services[0]).sort()).toEqual(['s0', 's1', 's2', 's3']);
  });

  it('a store that refuses every write answers STORE to every input, after a bounded number of tries, and works again once it heals', async () => {
    let failing = true;
    let attempts = 0;
    const e = await engine(
      storeWith(() => {
        attempts++;
        if (failing) throw new Error('disk I/O error');
      }),
    );
    attempts = 0;
    const ps = Array.from({ length: 64 }, (_, i) => trigger(e, services[1 + (i % 12)]!));
    const done = await outcomes(ps);
    expect(done.every((o) => o.status === 'rejected' && (o.reason as SlipwayError).code === 'STORE')).toBe(true);
    expect(attempts).toBeLessThan(64);
    expect(await real.listRuns({})).toEqual([]);

    failing = false;
    const d = await trigger(e, 's0');
    expect(d.value?.runId).toBeDefined();
    expect((await real.listRuns({})).length).toBe(1);
  });
});
