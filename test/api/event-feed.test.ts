/**
 * The live event feed reads new events from the store after each commit, for SSE streams. With
 * no stream open it only moves its position to the log's end: reading and decoding every event
 * for no one cost a busy server (the stress bench) a store read per commit. A stream that opens
 * later still gets every event after the position, without a gap. Real engine, real SQLite.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventFeed } from '../../src/api/event-feed.js';
import { openSlipway, type Slipway } from '../../src/main.js';
import type { Store, StoredEvent } from '../../src/store/index.js';
import { waitForRunFinished } from '../e2e/support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const PIPELINE = 'apiVersion: slipway/v1\nkind: Pipeline\nmetadata: {name: shop}\nspec:\n  services: [web]\n  stages:\n    - name: dev\n      tasks: [{name: deploy, kind: noop}]\n';

async function release(sw: Slipway, n: number): Promise<void> {
  const finished = waitForRunFinished(sw, { stage: 'dev' });
  await sw.engine.apply({ type: 'trigger', id: `ci-${n}`, project: 'shop', artifacts: { web: `web:${n}` }, provenance: { source: 'test' } });
  expect((await finished).state).toBe('succeeded');
}

/** Until the feed's position reaches the log's end (its reads are at least 20 ms apart). */
async function caughtUp(feed: EventFeed, store: Store): Promise<void> {
  const end = await store.lastEventSeq();
  for (const until = Date.now() + 15_000; Date.now() < until && feed.position < end; ) {
    await new Promise((r) => setTimeout(r, 10));
    await feed.settle();
  }
  expect(feed.position).toBe(end);
}

describe('the live event feed', () => {
  it('with no listener it does not read events, and a listener that comes later gets every event after the position', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-feed-'));
    const sw = await openSlipway({ dataDir: dir });
    cleanup.push(async () => {
      await sw.close();
      await rm(dir, { recursive: true, force: true });
    });
    await sw.addPipelineText(PIPELINE, 'slipway.yaml', dir);
    let reads = 0;
    const counted = Object.create(sw.store) as Store;
    counted.events = (filter) => {
      reads++;
      return sw.store.events(filter);
    };
    const feed = new EventFeed(sw.engine, counted);
    await feed.start();
    cleanup.push(async () => feed.stop());

    await release(sw, 1);
    await release(sw, 2);
    await caughtUp(feed, sw.store);
    expect(reads).toBe(0);

    const from = feed.position;
    const got: StoredEvent[] = [];
    feed.subscribe((batch) => got.push(...batch));
    await release(sw, 3);
    await caughtUp(feed, sw.store);
    expect(reads).toBeGreaterThan(0);
    const end = await sw.store.lastEventSeq();
    expect(end).toBeGreaterThan(from);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: end - from }, (_, i) => from + 1 + i));
  });
});
