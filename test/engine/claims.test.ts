import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutorActor, Run } from '../../src/core/index.js';
import type { ClaimedTask } from '../../src/engine/index.js';
import { Engine, FakeClock } from '../../src/engine/index.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let store: Store;
let engine: Engine;
let clock: FakeClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-claims-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
  clock = new FakeClock();
  engine = new Engine({ store, workDir: dir, clock, executors: [] });
  await engine.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'test', kind: 'pytest', retries: 1, properties: { suite: 'smoke' } }] }]), { text: 'x', origin: 'test', dir });
  await engine.start();
});
afterEach(async () => {
  await engine.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const trigger = () => engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'p', artifacts: { api: 'api:1' } });
const finished = () => new Promise<Run>((r) => engine.emitter.once('run:finished', r));
/** The claim a reply names: the executor that claimed and the lease token its claim gave it. */
const holder = (c: ClaimedTask | undefined, executor: string): ExecutorActor => ({ type: 'executor', executor, leaseToken: c!.leaseToken });

describe('outside executors', () => {
  it('claim a task of their kind with its triggered event, and finish it', async () => {
    await trigger();
    expect(await engine.claim({ kinds: ['other'], executor: 'x', leaseMs: 1000, waitMs: 0 })).toBeUndefined();
    const c = await engine.claim({ kinds: ['pytest'], executor: 'ci-1', leaseMs: 30_000, waitMs: 1000 });
    expect(c?.task).toMatchObject({ name: 'test', kind: 'pytest', attempt: 1, properties: { suite: 'smoke' } });
    expect(c?.run.artifacts).toEqual({ api: 'api:1' });
    expect(c?.event?.type).toBe('sh.slipway.task.test.triggered');
    expect(c?.leaseExpiresAt).toBe(clock.now() + 30_000);
    expect(await engine.claim({ kinds: ['pytest'], executor: 'ci-2', leaseMs: 1000, waitMs: 0 })).toBeUndefined();
    const done = finished();
    await engine.apply({ type: 'task.finished', id: 'e1', taskId: c!.task.id, result: 'pass', actor: holder(c, 'ci-1') });
    expect((await done).state).toBe('succeeded');
  });

  it('a long-poll claim returns as soon as a task of its kind is dispatched', async () => {
    const pending = engine.claim({ kinds: ['pytest'], executor: 'ci-1', leaseMs: 30_000, waitMs: 5000 });
    await trigger();
    expect((await pending)?.task.name).toBe('test');
  });

  it('a claimer already gone (its signal aborted) takes nothing, even with a task waiting', async () => {
    await trigger();
    const gone = new AbortController();
    gone.abort();
    expect(await engine.claim({ kinds: ['pytest'], executor: 'ci-gone', leaseMs: 30_000, waitMs: 5000, signal: gone.signal })).toBeUndefined();
    expect((await engine.claim({ kinds: ['pytest'], executor: 'ci-1', leaseMs: 30_000, waitMs: 0 }))?.task.attempt).toBe(1);
  });

  it('an expired lease makes the task claimable again as its next attempt, then fails it after its attempts', async () => {
    await trigger();
    const first = await engine.claim({ kinds: ['pytest'], executor: 'ci-1', leaseMs: 10_000, waitMs: 0 });
    clock.advance(5_000);
    expect(await engine.heartbeat(first!.task.id, 10_000, holder(first, 'ci-1'))).toBe(clock.now() + 10_000);
    clock.advance(9_999);
    // Waits for the engine, not for a while: on a loaded machine 20 ms did not cover the lease's
    // expiry being committed, so the backoff timer was armed after the clock had moved past it.
    await engine.settled();
    expect(await engine.claim({ kinds: ['pytest'], executor: 'ci-2', leaseMs: 10_000, waitMs: 0 })).toBeUndefined();
    clock.advance(1);
    const retried = engine.claim({ kinds: ['pytest'], executor: 'ci-2', leaseMs: 10_000, waitMs: 5000 });
    await engine.settled();
    clock.advance(1000); // retry backoff
    const second = await retried;
    expect(second?.task.attempt).toBe(2);
    await expect(engine.heartbeat(first!.task.id, 10_000, holder(first, 'ci-1'))).rejects.toThrow(/no longer running/);
    const done = finished();
    clock.advance(10_000);
    const run = await done;
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.message).toContain('stopped renewing its lease');
  });

  it('a heartbeat for a task of an aborted run is refused, so the executor stops', async () => {
    const { value } = await trigger();
    const c = await engine.claim({ kinds: ['pytest'], executor: 'ci-1', leaseMs: 10_000, waitMs: 0 });
    await engine.apply({ type: 'run.abort', id: 'a', runId: value!.runId! });
    await expect(engine.heartbeat(c!.task.id, 10_000, holder(c, 'ci-1'))).rejects.toThrow(/its run is aborted/);
  });
});
