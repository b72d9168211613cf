/**
 * Stopping the notifier does not wait for it to catch up with the event log: while the engine
 * keeps writing (a thousand gates sampling every second) the log's end may never be reached,
 * and `slipway.close()` waited on it (the bench's quick gate part hung for minutes). The
 * intake reads batch by batch and ends between two batches once told to stop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS_CURSOR, EventIntake } from '../../src/notify/intake.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { anEvent, batch } from '../store/fixtures.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-notify-stop-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
/** One pass by a fresh intake (a start), saving where it read to. */
async function intakeEvents(s: Store, stop?: AbortSignal): Promise<void> {
  const intake = new EventIntake(s, { pipelineOf: () => undefined, anySinks: () => true, now: () => 0 });
  await intake.pass(stop);
  await intake.flush();
}

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('notification intake', () => {
  it('told to stop, it ends after the batch it is reading instead of reading the log to its end', async () => {
    await intakeEvents(store);
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(0);
    await store.commit(batch({ events: Array.from({ length: 600 }, () => anEvent()) }));
    const stop = new AbortController();
    // Stop arrives while the first batch is read.
    const reading: Store = Object.create(store) as Store;
    reading.events = async (filter) => {
      const rows = await store.events(filter);
      stop.abort();
      return rows;
    };
    await intakeEvents(reading, stop.signal);
    const cursor = await store.notifyCursor(EVENTS_CURSOR);
    expect(cursor).toBeGreaterThan(0);
    expect(cursor).toBeLessThan(600);
    // Not stopped, it reads on to the end.
    await intakeEvents(store);
    expect(await store.notifyCursor(EVENTS_CURSOR)).toBe(600);
  });
});
