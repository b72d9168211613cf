/**
 * Two batches in flight (src/engine/engine.ts loop): while one batch's commit is on its way,
 * the next is decided on the state the first left; its effects wait for its own commit, and
 * commits land in order. A commit that fails sends the batch decided after it back: it is
 * decided again on the state reloaded from the store, and every input is applied once.
 * A real SQLite store whose commits are held (or failed) at the test's word.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Executor, ExecutorContext } from '../../src/engine/index.js';
import { Engine } from '../../src/engine/index.js';
import type { CommitBatch, Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let real: Store;
let e: Engine | undefined;
/** Every held commit, opened before the engine stops. */
const opens: (() => void)[] = [];
/** After the test: commits pass straight through. */
let passThrough = false;

beforeEach(async () => {
  passThrough = false;
  dir = await mkdtemp(join(tmpdir(), 'slipway-pipelined-'));
  real = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  passThrough = true;
  opens.splice(0).forEach((o) => o());
  await e?.stop();
  e = undefined;
  await real.close();
  await rm(dir, { recursive: true, force: true });
});

/** The real store, with each commit held until `release(i)` (or failed by `fail(i)`); commits are numbered from 0. */
function gatedStore() {
  const gates: { batch: CommitBatch; open: (fail?: Error) => void }[] = [];
  const waiters: (() => void)[] = [];
  const store: Store = Object.create(real) as Store;
  store.commit = (batch) =>
    passThrough ? real.commit(batch) : new Promise<void>((resolve, reject) => {
      let opened = false;
      const open = (fail?: Error) => {
        if (opened) return;
        opened = true;
        if (fail) reject(fail);
        else real.commit(batch).then(resolve, reject);
      };
      gates.push({ batch, open });
      opens.push(() => open());
      waiters.splice(0).forEach((w) => w());
    });
  const commitCount = async (n: number) => {
    while (gates.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { store, gates, commitCount };
}

function hanging() {
  const seen: ExecutorContext[] = [];
  const ex: Executor = { kind: 'hang', execute: (ctx) => (seen.push(ctx), new Promise(() => undefined)) };
  return { ex, seen };
}

async function start(store: Store, ex: Executor): Promise<Engine> {
  e = new Engine({ store, workDir: dir, executors: [ex] });
  await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a', kind: 'hang' }] }], ['api', 'web']), { text: 'x', origin: 'test', dir });
  await e.start();
  return e;
}

const trigger = (id: string, artifacts: Record<string, string>) => ({ type: 'trigger' as const, id, project: 'p', artifacts });
const settledWithin = async <T>(p: Promise<T>, ms = 50): Promise<boolean> => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('engine: the next batch is decided while a commit is in flight', () => {
  it('its decisions show in the view at once; its answer and its effects wait for its own commit, after the first', async () => {
    const { store, gates, commitCount } = gatedStore();
    const { ex, seen } = hanging();
    const eng = await start(store, ex);
    const first = eng.submit(trigger('in-1', { api: '1' }));
    await commitCount(1);
    const second = eng.submit(trigger('in-2', { web: '2' }));
    // Decided on top of the first (its run is in the view) while the first commit is held: not yet sent.
    await expect.poll(() => [...eng.view.runs.values()].some((r) => r.services.includes('web'))).toBe(true);
    expect([...eng.view.runs.values()].map((r) => r.services[0]).sort()).toEqual(['api', 'web']);
    expect(gates).toHaveLength(1);
    expect(await settledWithin(second)).toBe(false);
    expect(seen).toHaveLength(0);
    gates[0]!.open();
    await first;
    await commitCount(2);
    expect(await settledWithin(second)).toBe(false);
    // The first batch's task is dispatched once its commit is durable; the second's waits for its own.
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen.map((c) => c.task.name)).toEqual(['a']);
    const firstRun = seen[0]!.run.id;
    gates[1]!.open();
    await second;
    const runs = await real.listRuns({});
    expect(runs).toHaveLength(2);
    const events = await real.events({});
    const at = (run: string) => events.findIndex((ev) => JSON.stringify(ev).includes(run));
    const secondRun = runs.find((r) => r.id !== firstRun)!.id;
    expect(at(firstRun)).toBeLessThan(at(secondRun));
  });

  it('a failed commit sends the batch decided after it back; each input is applied once and the view holds only what committed', async () => {
    const { store, gates, commitCount } = gatedStore();
    const { ex } = hanging();
    const eng = await start(store, ex);
    const first = eng.submit(trigger('in-1', { api: '1' }));
    await commitCount(1);
    const second = eng.submit(trigger('in-2', { web: '2' }));
    // The same input again, in the batch decided while the first is in flight: ignored as applied.
    const again = eng.submit(trigger('in-1', { api: '9' }));
    await expect.poll(() => eng.view.runs.size).toBe(2);
    gates[0]!.open(new Error('disk full'));
    await expect(first).rejects.toThrow(/disk full/);
    // The batch decided after it is decided again from the store's state, then committed.
    await commitCount(2);
    gates.slice(1).forEach((g) => g.open());
    // Open each later commit as it comes until the second input's answer is back. Waiting on the
    // answer and on the next commit together: a slow commit is not taken for one still to come.
    const answered = second.then(() => true, () => true);
    for (let n = 2; ; n++) {
      if (await Promise.race([answered, commitCount(n + 1).then(() => false)])) break;
      gates.slice(n).forEach((g) => g.open());
    }
    await second;
    // in-1 failed, so its repeat is no longer a repeat: applied once, from the retried batch.
    const repeat = await again;
    expect(repeat.ignored).toBeUndefined();
    const runs = await real.listRuns({});
    expect(runs.map((r) => r.services[0]).sort()).toEqual(['api', 'web']);
    // The api run is the repeat's (artifact 9): the first input's batch never committed.
    const apiRelease = await real.getRelease(runs.find((r) => r.services[0] === 'api')!.releaseId);
    expect(apiRelease?.artifacts).toEqual({ api: '9' });
    expect([...eng.view.runs.values()].map((r) => r.services[0]).sort()).toEqual(['api', 'web']);
    const releases = new Set(runs.map((r) => r.releaseId));
    expect(releases.size).toBe(2);
  });
});
