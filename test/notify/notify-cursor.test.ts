/**
 * The notifier's events cursor is not a second durable commit beside each of the engine's: a
 * pass that queues no row moves it in memory and saves it at most every CURSOR_SAVE_MS (and
 * when the notifier stops); a pass that queues rows saves it with them. With no sink in any
 * pipeline, the log is not read at all. Real SQLite store; the store is wrapped only to count
 * what the intake asks of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSlipway } from '../../src/main.js';
import { CURSOR_SAVE_MS, EVENTS_CURSOR, EventIntake } from '../../src/notify/intake.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { anEvent, batch } from '../store/fixtures.js';
import { waitForRunFinished } from '../e2e/support/wait.js';

let dir: string;
let store: Store;
let saves: number;
let logReads: number;
/** The store as the intake sees it: every call goes to the real one, saves and log reads are counted. */
let counted: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-notify-cursor-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
  saves = 0;
  logReads = 0;
  counted = Object.create(store) as Store;
  counted.enqueueNotifications = (rows, cursors) => {
    saves++;
    return store.enqueueNotifications(rows, cursors);
  };
  counted.events = (filter) => {
    logReads++;
    return store.events(filter);
  };
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const commitEvents = (n: number) => store.commit(batch({ events: Array.from({ length: n }, () => anEvent()) }));

describe('the notifier events cursor', () => {
  it('moves in memory when a pass queues nothing, and is saved at most every CURSOR_SAVE_MS and on flush', async () => {
    let now = 1_000_000;
    const intake = new EventIntake(counted, { pipelineOf: () => undefined, anySinks: () => true, now: () => now });
    await intake.pass();
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(0);
    expect(saves).toBe(1);
    await commitEvents(10);
    now += 1000;
    expect(await intake.pass()).toBe(0);
    expect(logReads).toBeGreaterThan(0);
    expect(saves).toBe(1);
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(0);
    await commitEvents(5);
    now += CURSOR_SAVE_MS;
    await intake.pass();
    expect(saves).toBe(2);
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(15);
    await commitEvents(3);
    now += 10;
    await intake.pass();
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(15);
    await intake.flush();
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(18);
    // Nothing moved: flushing again writes nothing.
    await intake.flush();
    expect(saves).toBe(3);
  });

  it('with no sink in any pipeline, a pass does not read the log, and the cursor still reaches its end', async () => {
    let now = 1_000_000;
    const intake = new EventIntake(counted, { pipelineOf: () => undefined, anySinks: () => false, now: () => now });
    await intake.pass();
    await commitEvents(40);
    now += 100;
    await intake.pass();
    expect(logReads).toBe(0);
    await intake.flush();
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(40);
  });

  it('a new intake (a restart) starts from the saved cursor, not from where the last one read in memory', async () => {
    const now = 1_000_000;
    const first = new EventIntake(counted, { pipelineOf: () => undefined, anySinks: () => true, now: () => now });
    await first.pass();
    await commitEvents(7);
    await first.pass();
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(0);
    // The process died here: the next one reads those 7 events again (rows' ids make that harmless).
    const read: number[] = [];
    const again = Object.create(store) as Store;
    again.events = async (filter) => {
      const rows = await store.events(filter);
      read.push(...rows.map((r) => r.seq));
      return rows;
    };
    await new EventIntake(again, { pipelineOf: () => undefined, anySinks: () => true, now: () => now }).pass();
    expect(read).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a server with no sinks saves the cursor when it stops, at the end of the log', async () => {
    const data = await mkdtemp(join(tmpdir(), 'slipway-notify-cursor-sw-'));
    try {
      const sw = await openSlipway({ dataDir: data });
      await sw.addPipelineText('apiVersion: slipway/v1\nkind: Pipeline\nmetadata: {name: shop}\nspec:\n  services: [web]\n  stages:\n    - name: dev\n      tasks: [{name: deploy, kind: noop}]\n', 'slipway.yaml', data);
      const finished = waitForRunFinished(sw, { stage: 'dev' });
      await sw.engine.apply({ type: 'trigger', id: 'ci-1', project: 'shop', artifacts: { web: 'web:1' }, provenance: { source: 'test' } });
      expect((await finished).state).toBe('succeeded');
      await sw.close();
      const s = await openSqliteStore({ file: join(data, 'slipway.db') });
      try {
        const end = await s.lastEventSeq();
        expect(end).toBeGreaterThan(3);
        expect(await s.notifyCursor(EVENTS_CURSOR)).toBe(end);
      } finally {
        await s.close();
      }
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
