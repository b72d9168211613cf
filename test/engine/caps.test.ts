import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { EngineCaps, Executor } from '../../src/engine/index.js';
import { Engine } from '../../src/engine/index.js';
import { createNoopExecutor } from '../../src/executors/index.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let store: Store;
let engines: Engine[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-caps-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  for (const e of engines) await e.stop();
  engines = [];
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const hang: Executor = { kind: 'hang', execute: () => new Promise(() => undefined) };

function engine(caps: Partial<EngineCaps>): Engine {
  const e = new Engine({ store, workDir: dir, executors: [createNoopExecutor(), hang], caps });
  engines.push(e);
  return e;
}

/** Triggers `n` releases one after the other, each a new version of one of `services`, and waits for their runs to end. */
async function releases(e: Engine, n: number, services: string[], from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const done = new Promise<Run>((resolve) => {
      const on = (r: Run) => {
        if (r.stage !== 'dev') return;
        e.emitter.off('run:finished', on);
        resolve(r);
      };
      e.emitter.on('run:finished', on);
    });
    const d = await e.apply({ type: 'trigger', id: `t-${i}`, project: 'p', artifacts: { [services[i % services.length]!]: `v${i}` } });
    ids.push(d.value!.releaseId!);
    expect((await done).state).toBe('succeeded');
  }
  return ids;
}

describe('engine caps: memory does not grow with history', () => {
  it('keeps releases, artifact passes and applied input ids under their caps while releases go on', async () => {
    const e = engine({ recentInputs: 50, releases: 20, artifactPasses: 30 });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a' }] }], ['s0', 's1', 's2']), { text: 'x', origin: 'test', dir });
    await e.start();
    let most = { releases: 0, passes: 0 };
    e.emitter.on('committed', () => (most = { releases: Math.max(most.releases, e.view.releases.size), passes: Math.max(most.passes, e.view.artifactPasses.size) }));
    await releases(e, 150, ['s0', 's1', 's2']);
    // Three live cells pin at most 6 releases: the next eviction comes at max(20, kept + 20 / 2) = 20.
    expect(most.releases).toBeLessThanOrEqual(21);
    expect(most.passes).toBeLessThanOrEqual(31);
    expect(await store.listRuns({ limit: 500 })).toHaveLength(150);
    // An id among the last few is still known; the first one's was forgotten, and the store's log answers for it.
    expect((await e.submit({ type: 'trigger', id: 't-149', project: 'p', artifacts: { s0: 'again' } })).ignored).toMatch(/applied already/);
    expect((await e.submit({ type: 'trigger', id: 't-0', project: 'p', artifacts: { s0: 'again' } })).ignored).toMatch(/applied already/);
  });

  it('when live cells pin more releases than the cap, memory holds at most half the cap beyond those pinned', async () => {
    // 40 services, each live in dev with its own release: 40 pinned against a cap of 20.
    const services = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const e = engine({ releases: 20 });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a' }] }], services), { text: 'x', origin: 'test', dir });
    await e.start();
    let most = 0;
    e.emitter.on('committed', () => (most = Math.max(most, e.view.releases.size)));
    await releases(e, 200, services);
    const pinned = new Set([...e.view.live.values()].flatMap((l) => [l.releaseId, l.lastGoodReleaseId ?? l.releaseId]));
    expect(pinned.size).toBeGreaterThanOrEqual(40);
    for (const id of pinned) expect(e.view.releases.has(id)).toBe(true);
    // Pinned plus half the cap, and the one release a batch adds before the eviction after it (twice the pinned before).
    expect(most).toBeLessThanOrEqual(pinned.size + 10 + 1);
  });

  it('an input replayed after its id left memory is still applied once: the store knows it (replay-after-eviction.test.ts)', async () => {
    const e = engine({ recentInputs: 5 });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a', kind: 'hang' }] }], ['api', 'db', 's0', 's1']), { text: 'x', origin: 'test', dir });
    await e.start();
    const input = { type: 'trigger' as const, id: 'same-id', project: 'p', artifacts: { api: '1' } };
    expect((await e.submit(input)).events.length).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) await e.apply({ type: 'trigger', id: `other-${i}`, project: 'p', artifacts: { [`s${i % 2}`]: `v${i}` } });
    // Same id, whatever the content: applied already.
    expect((await e.submit({ ...input, artifacts: { db: '3' } })).ignored).toBe('input same-id was applied already');
    expect((await e.submit(input)).events).toHaveLength(0);
    const runs = await store.listRuns({ limit: 100 });
    expect(runs.filter((r) => r.services.includes('api'))).toHaveLength(1);
    expect(runs.filter((r) => r.services.includes('db'))).toHaveLength(0);
    // The engine goes on.
    expect((await e.apply({ type: 'trigger', id: 'after', project: 'p', artifacts: { db: '4' } })).events.length).toBeGreaterThan(0);
  });

  it('a release that left memory is loaded again when an input needs it', async () => {
    const e = engine({ releases: 5 });
    await e.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'a' }] }, { name: 'prod', promotion: 'manual', tasks: [{ name: 'a' }] }], ['s0']), { text: 'x', origin: 'test', dir });
    await e.start();
    const ids = await releases(e, 30, ['s0']);
    expect(e.view.releases.has(ids[0]!)).toBe(false);
    const done = new Promise<Run>((resolve) => e.emitter.on('run:finished', (r) => r.stage === 'prod' && resolve(r)));
    await e.apply({ type: 'promote', id: 'promote-first', project: 'p', stage: 'prod', releaseId: ids[0]! });
    const run = await done;
    expect(run.releaseId).toBe(ids[0]);
    expect(run.state).toBe('succeeded');
  });
});
