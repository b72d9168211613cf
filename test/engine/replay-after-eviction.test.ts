/**
 * An input sent again after its id left the engine's memory (evicted under
 * EngineCaps.recentInputs, or applied before a restart) is answered `ignored`, as a repeat
 * within memory is: no STORE error, no state reload, nothing written, and the inputs batched
 * with it commit. On SQLite files, and on PostgreSQL in the `postgres` project (storeOptionFor).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Input, Run } from '../../src/core/index.js';
import type { EngineCaps } from '../../src/engine/index.js';
import { Engine } from '../../src/engine/index.js';
import { createNoopExecutor } from '../../src/executors/index.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore, openStore } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

let dir: string;
let real: Store;
let engines: Engine[] = [];
/** Times the engine read its whole state from the store (start and every reload). */
let recoveries = 0;
let storeErrors: Error[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-replay-'));
  const { store: url } = await storeOptionFor(dir);
  real = url ? await openStore(url) : await openSqliteStore({ file: join(dir, 'slipway.db') });
  recoveries = 0;
  storeErrors = [];
  appliedFails = undefined;
});
afterEach(async () => {
  for (const e of engines) await e.stop();
  engines = [];
  await real.close();
  await rm(dir, { recursive: true, force: true });
});

/** Set to make the store's answer to "which of these inputs were applied" fail. */
let appliedFails: Error | undefined;

async function engine(caps: Partial<EngineCaps> = {}): Promise<Engine> {
  const store: Store = Object.create(real) as Store;
  store.activeRuns = () => (recoveries++, real.activeRuns());
  store.appliedInputs = (ids) => (appliedFails ? Promise.reject(appliedFails) : real.appliedInputs(ids));
  const e = new Engine({ store, workDir: dir, executors: [createNoopExecutor()], caps });
  engines.push(e);
  e.emitter.on('store:error', (err) => storeErrors.push(err));
  await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'deploy' }] }], ['api', 's0', 's1', 's2', 's3']), { text: 'x', origin: 'test', dir });
  await e.start();
  return e;
}

const trigger = (id: string, service: string, version: string): Input => ({ type: 'trigger', id, project: 'p', artifacts: { [service]: version } });

/** Applies a trigger and waits for its run to end, so that deciding the same trigger again would queue a new run (and write events). */
async function released(e: Engine, input: Input): Promise<Run> {
  const finished = new Map<string, Run>();
  let wake = (): void => undefined;
  e.emitter.on('run:finished', (r) => {
    finished.set(r.id, r);
    wake();
  });
  const runId = (await e.apply(input)).value!.runId!;
  while (!finished.has(runId)) await new Promise<void>((r) => (wake = r));
  expect(finished.get(runId)!.state).toBe('succeeded');
  return finished.get(runId)!;
}

const eventCount = async (): Promise<number> => (await real.events({ limit: 100_000 })).length;

describe('an input replayed after its id left memory', () => {
  it('is answered ignored, with no STORE error, no reload and nothing written', async () => {
    const e = await engine({ recentInputs: 5 });
    const input = trigger('same-id', 'api', '1');
    await released(e, input);
    for (let i = 0; i < 10; i++) await e.apply(trigger(`other-${i}`, `s${i % 4}`, `v${i}`));
    await e.settled();
    const written = await eventCount();
    const ownEvents = (await real.eventsOfInput('same-id')).length;
    const before = recoveries;

    const again = await e.submit(input);
    expect(again.ignored).toBe('input same-id was applied already');
    expect(again).toEqual({ events: [], effects: [], ignored: 'input same-id was applied already' });
    await e.settled();
    expect(storeErrors).toEqual([]);
    expect(recoveries).toBe(before);
    expect(await eventCount()).toBe(written);
    expect(await real.eventsOfInput('same-id')).toHaveLength(ownEvents);
    // Now in memory again: the next repeat needs no read.
    expect((await e.submit(input)).ignored).toMatch(/applied already/);
    const runs = await real.listRuns({ limit: 100 });
    expect(runs.filter((r) => r.services.includes('api'))).toHaveLength(1);
  });

  it('is answered ignored when its content differs: the id decides, not the content', async () => {
    const e = await engine({ recentInputs: 3 });
    await e.apply(trigger('same-id', 'api', '1'));
    for (let i = 0; i < 6; i++) await e.apply(trigger(`other-${i}`, `s${i % 4}`, `v${i}`));
    const again = await e.submit(trigger('same-id', 'api', '2'));
    expect(again.ignored).toMatch(/applied already/);
    await e.settled();
    expect(storeErrors).toEqual([]);
    expect((await real.listRuns({ limit: 100 })).filter((r) => r.services.includes('api'))).toHaveLength(1);
  });

  it('does not hold back the new inputs of its batch: they commit in the same transaction', async () => {
    const e = await engine({ recentInputs: 3 });
    await released(e, trigger('same-id', 'api', '1'));
    for (let i = 0; i < 6; i++) await e.apply(trigger(`other-${i}`, `s${i % 4}`, `w${i}`));
    await e.settled();
    const before = recoveries;
    const batches: number[] = [];
    e.emitter.on('committed', (c) => batches.push(c.inputs));
    // Submitted in one tick: one batch.
    const answers = await Promise.all([trigger('new-1', 's0', 'n1'), trigger('same-id', 'api', '1'), trigger('new-2', 's1', 'n2'), trigger('new-3', 's2', 'n3')].map((i) => e.submit(i)));
    expect(batches[0]).toBe(4);
    expect(answers[1]!.ignored).toMatch(/input same-id was applied already/);
    for (const i of [0, 2, 3]) {
      expect(answers[i]!.ignored).toBeUndefined();
      expect(answers[i]!.events.length).toBeGreaterThan(0);
    }
    await e.settled();
    expect(storeErrors).toEqual([]);
    expect(recoveries).toBe(before);
    for (const id of ['new-1', 'new-2', 'new-3']) expect((await real.eventsOfInput(id)).length).toBeGreaterThan(0);
  });

  it('is answered ignored by an engine started again on the same store (its memory empty)', async () => {
    const first = await engine();
    const input = trigger('before-restart', 'api', '1');
    const run = await released(first, input);
    await first.stop();
    const written = await eventCount();
    const e = await engine();
    expect(await e.submit(input)).toEqual({ events: [], effects: [], ignored: 'input before-restart was applied already' });
    await e.settled();
    expect(storeErrors).toEqual([]);
    expect(await eventCount()).toBe(written);
    expect((await real.listRuns({ limit: 100 })).filter((r) => r.releaseId === run.releaseId)).toHaveLength(1);
  });

  it('when the store cannot say whether an input was applied, the input fails with STORE naming that read, and is not applied', async () => {
    const e = await engine();
    appliedFails = new Error('connection reset');
    const err = await e.submit(trigger('unsure', 'api', '1')).then(() => undefined, (x: unknown) => x as Error & { code?: string });
    expect(err?.code).toBe('STORE');
    expect(err?.message).toMatch(/could not read which inputs were applied: connection reset \(trigger input unsure of project p\)/);
    expect(await real.eventsOfInput('unsure')).toHaveLength(0);
    appliedFails = undefined;
    expect((await e.apply(trigger('unsure', 'api', '1'))).events.length).toBeGreaterThan(0);
  });
});
