import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Executor, ExecutorContext } from '../../src/engine/index.js';
import { Engine, FakeClock } from '../../src/engine/index.js';
import { createNoopExecutor, createWaitExecutor } from '../../src/executors/index.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let stores: Store[] = [];
let engines: Engine[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-engine-'));
});
afterEach(async () => {
  for (const e of engines) await e.stop();
  for (const s of stores) await s.close();
  engines = [];
  stores = [];
  await rm(dir, { recursive: true, force: true });
});

/** An executor that never finishes on its own: it records what it was given. */
function hanging(kind = 'hang') {
  const seen: ExecutorContext[] = [];
  const ex: Executor = { kind, execute: (ctx) => (seen.push(ctx), new Promise(() => undefined)) };
  return { ex, seen };
}

async function engine(opts: { clock?: FakeClock; executors?: Executor[]; store?: Store } = {}) {
  const store = opts.store ?? (await openSqliteStore({ file: join(dir, 'slipway.db') }));
  if (!opts.store) stores.push(store);
  const e = new Engine({ store, workDir: dir, executors: opts.executors ?? [createNoopExecutor(), createWaitExecutor()], ...(opts.clock ? { clock: opts.clock } : {}) });
  engines.push(e);
  return { e, store };
}

const finished = (e: Engine, n = 1) =>
  new Promise<Run[]>((resolve) => {
    const runs: Run[] = [];
    const on = (r: Run) => {
      runs.push(r);
      if (runs.length === n) {
        e.emitter.off('run:finished', on);
        resolve(runs);
      }
    };
    e.emitter.on('run:finished', on);
  });

const trigger = (e: Engine, artifacts: Record<string, string>, project = 'p') =>
  e.apply({ type: 'trigger', id: crypto.randomUUID(), project, artifacts });

describe('engine', () => {
  it('applies concurrent inputs in fewer transactions than inputs (group commit)', async () => {
    const services = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const { e, store } = await engine();
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a' }, { name: 'b' }] }], services), { text: 'x', origin: 'test', dir });
    await e.start();
    let commits = 0;
    e.emitter.on('committed', () => commits++);
    const done = finished(e, 200);
    await Promise.all(services.map((s) => trigger(e, { [s]: '1' })));
    await done;
    const events = await store.events({});
    expect(events.length).toBeGreaterThan(200 * 8);
    expect(commits).toBeLessThan(events.length / 4);
    expect((await store.listRuns({ limit: 500 })).every((r) => r.state === 'succeeded')).toBe(true);
  });

  it('a soak on a fake clock ends when its due time comes, not before', async () => {
    const clock = new FakeClock();
    const { e } = await engine({ clock });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'soak', kind: 'wait', properties: { duration: '5m' } }] }]), { text: 'x', origin: 'test', dir });
    await e.start();
    const waiting = new Promise<void>((r) => e.emitter.on('event', (ev) => ev.type.endsWith('soak.waiting') && r()));
    const { value } = await trigger(e, { api: '1' });
    await waiting;
    clock.advance(299_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.view.runs.get(value!.runId!)?.state).toBe('waiting');
    const done = finished(e);
    clock.advance(1_000);
    const [run] = await done;
    expect(run!.state).toBe('succeeded');
    expect(run!.finishedAt).toBe(clock.now());
  });

  it('after a restart, a task in flight is dispatched again with the same task id', async () => {
    const first = hanging();
    const { e, store } = await engine({ executors: [first.ex] });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'deploy', kind: 'hang' }] }]), { text: 'x', origin: 'test', dir });
    await e.start();
    await trigger(e, { api: '1' });
    await new Promise((r) => setTimeout(r, 50));
    expect(first.seen).toHaveLength(1);
    await e.stop();
    const second = hanging();
    const { e: again } = await engine({ executors: [second.ex], store });
    await again.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(second.seen.map((c) => [c.task.id, c.task.attempt, c.task.triggeredAt])).toEqual([
      [first.seen[0]!.task.id, 1, first.seen[0]!.task.triggeredAt],
    ]);
  });

  it('a timeout that came due while the engine was down fails its task at start', async () => {
    const clock = new FakeClock();
    const h = hanging();
    const { e, store } = await engine({ clock, executors: [h.ex] });
    const p = pipeline('p', [{ name: 'dev', tasks: [{ name: 'deploy', kind: 'hang', timeoutMs: 10_000 }] }]);
    await e.setPipeline(p, { text: 'x', origin: 'test', dir });
    await e.start();
    const { value } = await trigger(e, { api: '1' });
    await e.stop();
    clock.advance(60_000);
    const { e: again } = await engine({ clock, executors: [hanging().ex], store });
    await again.setPipeline(p, { text: 'x', origin: 'test', dir });
    const done = finished(again);
    await again.start();
    clock.advance(0);
    const [run] = await done;
    expect(run!.id).toBe(value!.runId);
    expect(run!.state).toBe('failed');
    expect(run!.tasks[0]!.message).toMatch(/timed out/);
  });

  it('a failed commit loses nothing already committed and the engine goes on', async () => {
    const real = await openSqliteStore({ file: join(dir, 'slipway.db') });
    stores.push(real);
    let failNext = false;
    const flaky: Store = Object.create(real) as Store;
    flaky.commit = async (b) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      return real.commit(b);
    };
    const { e } = await engine({ store: flaky });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a' }] }]), { text: 'x', origin: 'test', dir });
    await e.start();
    failNext = true;
    await expect(trigger(e, { api: '1' })).rejects.toThrow(/store could not commit: disk full/);
    expect(e.view.runs.size).toBe(0);
    expect(await real.listRuns({})).toEqual([]);
    const done = finished(e);
    await trigger(e, { api: '1' });
    expect((await done)[0]!.state).toBe('succeeded');
  });
});

describe('engine: repeated inputs', () => {
  it('an input id applied before is answered as ignored and changes nothing, in the same batch or later', async () => {
    const { e, store } = await engine();
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a', kind: 'hang' }] }]), { text: 'x', origin: 'test', dir });
    await e.start();
    const input = { type: 'trigger' as const, id: 'same-id', project: 'p', artifacts: { api: '1' } };
    const [a, b] = await Promise.all([e.submit(input), e.submit({ ...input, artifacts: { web: '2' } })]);
    expect(a.events.length).toBeGreaterThan(0);
    expect(b.ignored).toMatch(/applied already/);
    const c = await e.submit({ ...input, artifacts: { db: '3' } });
    expect(c.ignored).toMatch(/applied already/);
    expect((await store.listRuns({})).map((r) => r.services)).toEqual([['api']]);
  });
});
