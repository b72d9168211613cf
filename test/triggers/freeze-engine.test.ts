/**
 * Freeze windows through the engine with a real SQLite store and a FakeClock: the run held
 * by a window is released by the durable thaw timer, also after the engine restarted while
 * the window held.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pipeline, Run } from '../../src/core/index.js';
import { Engine, FakeClock } from '../../src/engine/index.js';
import { createNoopExecutor } from '../../src/executors/index.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { freezeHold } from '../../src/triggers/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
const opened: { engines: Engine[]; stores: Store[] } = { engines: [], stores: [] };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-freeze-engine-'));
});
afterEach(async () => {
  for (const e of opened.engines) await e.stop();
  for (const s of opened.stores) await s.close();
  opened.engines = [];
  opened.stores = [];
  await rm(dir, { recursive: true, force: true });
});

/** 2026-03-27 16:00 to 2026-03-30 08:00 Europe/Berlin: 15:00 UTC Friday to 06:00 UTC Monday (the clocks went forward in between). */
const FROM = Date.parse('2026-03-27T15:00:00Z');
const UNTIL = Date.parse('2026-03-30T06:00:00Z');

function frozenPipeline(): Pipeline {
  const p = pipeline('shop', [{ name: 'production', tasks: [{ name: 'deploy' }] }]);
  return { ...p, freezes: [{ name: 'weekend', stages: ['*'], appliesTo: 'everyone', timeZone: 'Europe/Berlin', when: { kind: 'dated', from: '2026-03-27T16:00', to: '2026-03-30T08:00' } }] };
}

async function open(clock: FakeClock): Promise<Engine> {
  const store = await openSqliteStore({ file: join(dir, 'slipway.db') });
  const e = new Engine({ store, workDir: dir, clock, executors: [createNoopExecutor()], freezeHold });
  opened.stores.push(store);
  opened.engines.push(e);
  await e.setPipeline(frozenPipeline(), { text: 'freeze', origin: 'test', dir });
  await e.start();
  return e;
}

const finished = (e: Engine) => new Promise<Run>((resolve) => e.emitter.once('run:finished', resolve));

describe('freeze windows in the engine', () => {
  it('a held run starts when the durable timer at the window end fires, after a restart too', async () => {
    const clock = new FakeClock(FROM + 3_600_000);
    const first = await open(clock);
    const d = await first.apply({ type: 'trigger', id: 'in-1', project: 'shop', artifacts: { web: 'web:1' }, by: 'token:alice' });
    const runId = d.value!.runId!;
    expect(first.view.runs.get(runId)).toMatchObject({ state: 'queued', frozen: { windows: ['weekend'], until: UNTIL } });

    // The engine goes down while the window holds; the timer is a row in the store.
    await first.stop();
    await opened.stores[0]!.close();
    opened.engines = [];
    opened.stores = [];
    clock.advance(24 * 3_600_000);
    const second = await open(clock);
    expect(second.view.runs.get(runId)).toMatchObject({ state: 'queued', frozen: { until: UNTIL } });

    const done = finished(second);
    clock.advance(UNTIL - 1 - clock.now());
    expect(second.view.runs.get(runId)?.state).toBe('queued');
    clock.advance(1);
    const run = await done;
    expect([run.id, run.state, run.startedAt]).toEqual([runId, 'succeeded', UNTIL]);
    const types = (await opened.stores[0]!.events({ runId })).map((ev) => ev.event.type.replace('sh.slipway.', ''));
    expect(types.filter((t) => t.startsWith('run.'))).toEqual(['run.queued', 'run.frozen', 'run.thawed', 'run.started', 'run.finished']);
  });

  it('a changed pipeline applies to held runs at once: a window removed lets them start, one kept keeps its timer', async () => {
    const clock = new FakeClock(FROM + 3_600_000);
    const e = await open(clock);
    const a = (await e.apply({ type: 'trigger', id: 'in-a', project: 'shop', artifacts: { web: 'web:1' } })).value!.runId!;
    expect(e.view.runs.get(a)?.frozen?.until).toBe(UNTIL);

    // The same windows under a new version: still held, and the timer still releases it at the end.
    const same = { ...frozenPipeline(), version: 'v2' };
    const rechecked = new Promise<void>((resolve) => e.emitter.on('committed', () => resolve()));
    await e.setPipeline(same, { text: 'freeze v2', origin: 'test', dir });
    await rechecked;
    expect(e.view.runs.get(a)).toMatchObject({ state: 'queued', frozen: { until: UNTIL } });

    // The window is taken out: the held run starts now, before the old end.
    const done = finished(e);
    const { freezes: _gone, ...open3 } = { ...frozenPipeline(), version: 'v3' };
    await e.setPipeline(open3, { text: 'no freeze', origin: 'test', dir });
    const run = await done;
    expect([run.id, run.state, run.startedAt]).toEqual([a, 'succeeded', FROM + 3_600_000]);
  });

  it('a restart with the window taken out of the pipeline lets the held run start', async () => {
    const clock = new FakeClock(FROM + 3_600_000);
    const first = await open(clock);
    const a = (await first.apply({ type: 'trigger', id: 'in-a', project: 'shop', artifacts: { web: 'web:1' } })).value!.runId!;
    await first.stop();
    const store = await openSqliteStore({ file: join(dir, 'slipway.db') });
    opened.stores.push(store);
    const second = new Engine({ store, workDir: dir, clock, executors: [createNoopExecutor()], freezeHold });
    opened.engines.push(second);
    const { freezes: _gone, ...edited } = { ...frozenPipeline(), version: 'v2' };
    await second.setPipeline(edited, { text: 'no freeze', origin: 'test', dir });
    const done = finished(second);
    await second.start();
    const run = await done;
    expect([run.id, run.state, run.startedAt]).toEqual([a, 'succeeded', FROM + 3_600_000]);
  });

  it('a re-check before the end keeps the run held with its timer', async () => {
    const clock = new FakeClock(FROM + 3_600_000);
    const e = await open(clock);
    const a = (await e.apply({ type: 'trigger', id: 'in-a', project: 'shop', artifacts: { web: 'web:1' } })).value!.runId!;
    const rechecked = new Promise<void>((resolve) => e.emitter.on('committed', () => resolve()));
    await e.setPipeline({ ...frozenPipeline(), version: 'v2' }, { text: 'freeze v2', origin: 'test', dir });
    await rechecked;
    const done = finished(e);
    clock.advance(UNTIL - clock.now());
    const run = await done;
    expect([run.id, run.startedAt]).toEqual([a, UNTIL]);
  });
});
