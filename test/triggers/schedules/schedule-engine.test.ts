/**
 * Schedules and holds through the engine with a real SQLite store and a FakeClock: the next
 * fire is a timer row in the store (not an in-memory job), armed when the pipeline becomes
 * current; after a restart the row and the hold come back from the store and the log, and
 * the overdue fire follows its `missed` policy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pipeline, SlipwayEvent } from '../../../src/core/index.js';
import { Engine, FakeClock } from '../../../src/engine/index.js';
import { createNoopExecutor } from '../../../src/executors/index.js';
import type { Store } from '../../../src/store/index.js';
import { openSqliteStore } from '../../../src/store/index.js';
import { nextFire } from '../../../src/triggers/index.js';
import { scheduledPipeline } from '../../core/schedule-world.js';

let dir: string;
const opened: { engines: Engine[]; stores: Store[] } = { engines: [], stores: [] };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-schedule-engine-'));
});
afterEach(async () => {
  for (const e of opened.engines) await e.stop();
  for (const s of opened.stores) await s.close();
  opened.engines = [];
  opened.stores = [];
  await rm(dir, { recursive: true, force: true });
});

const p: Pipeline = scheduledPipeline('shop', [
  { name: 'dev', tasks: [{ name: 'deploy' }] },
  { name: 'staging', tasks: [{ name: 'deploy' }] },
  { name: 'nightly', after: ['staging'], tasks: [{ name: 'deploy' }], schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin' } },
]);

async function open(clock: FakeClock): Promise<{ engine: Engine; store: Store; events: SlipwayEvent[] }> {
  const store = await openSqliteStore({ file: join(dir, 'slipway.db') });
  const engine = new Engine({ store, workDir: dir, clock, executors: [createNoopExecutor()], scheduleNext: nextFire });
  opened.stores.push(store);
  opened.engines.push(engine);
  const events: SlipwayEvent[] = [];
  engine.emitter.on('event', (ev: SlipwayEvent) => events.push(ev));
  await engine.setPipeline(p, { text: 'schedule', origin: 'test', dir });
  await engine.start();
  return { engine, store, events };
}

/** Waits (with a deadline, no sleeps on time) until `check` holds. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function release(e: Engine, clock: FakeClock, version: string): Promise<string> {
  clock.advance(60_000);
  const d = await e.apply({ type: 'trigger', id: `t-${version}`, project: 'shop', artifacts: { web: `web:${version}` }, by: 'token:ci' });
  const id = d.value!.releaseId!;
  await until(`${id} through staging`, () => [...e.view.live.values()].some((l) => l.stage === 'staging' && l.releaseId === id && l.state === 'succeeded'));
  return id;
}

describe('schedules in the engine', () => {
  it('arms the next fire as a timer row; a restart finds it, the missed fire runs once, and a hold comes back', async () => {
    const clock = new FakeClock(Date.parse('2026-06-01T12:00:00Z'));
    const first = await open(clock);
    await until('schedule armed', async () => (await first.store.dueTimers(Number.MAX_SAFE_INTEGER, 100)).some((t) => t.id === 'schedule:shop:nightly'));
    const [row] = (await first.store.dueTimers(Number.MAX_SAFE_INTEGER, 100)).filter((t) => t.id === 'schedule:shop:nightly');
    expect(row).toMatchObject({ dueAt: Date.parse('2026-06-02T01:00:00Z'), input: { purpose: 'schedule.fire', schedule: { project: 'shop', stage: 'nightly', dueAt: Date.parse('2026-06-02T01:00:00Z') } } });

    const r1 = await release(first.engine, clock, '1');
    const r2 = await release(first.engine, clock, '2');
    await first.engine.apply({ type: 'promote', id: 'p-1', project: 'shop', releaseId: r1, stage: 'staging', by: 'token:alice' });
    expect(first.engine.view.holds.get('shop\0staging')).toMatchObject({ by: 'token:alice', releaseId: r1, automationWould: r2 });
    await first.engine.stop();
    await first.store.close();
    opened.engines.length = 0;
    opened.stores.length = 0;

    // Down over 03:00; up at 08:00 Berlin.
    clock.advance(Date.parse('2026-06-02T06:00:00Z') - clock.now());
    const second = await open(clock);
    expect(second.engine.view.holds.get('shop\0staging')).toMatchObject({ by: 'token:alice', releaseId: r1 });
    clock.advance(0);
    await until('the missed fire', () => second.events.some((e) => e.type === 'sh.slipway.schedule.fired'));
    const fired = second.events.find((e) => e.type === 'sh.slipway.schedule.fired')!;
    expect(fired.data).toMatchObject({ stage: 'nightly', releaseId: r2, late: true, next: Date.parse('2026-06-03T01:00:00Z') });
    await until('the next row', async () => (await second.store.dueTimers(Number.MAX_SAFE_INTEGER, 100)).some((t) => t.id === 'schedule:shop:nightly' && t.dueAt === Date.parse('2026-06-03T01:00:00Z')));
    expect(second.engine.view.schedules.get('shop\0nightly')).toMatchObject({ next: Date.parse('2026-06-03T01:00:00Z'), last: { fired: true, releaseId: r2 } });
  });
});
