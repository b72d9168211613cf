/**
 * Keptn's datastore route over a real engine and SQLite file: pages, by project or by Keptn
 * context, give exactly the events the whole log maps to, in order, whatever the page size
 * (a page may end inside one Slipway event's per-service Keptn events), and a page reads only
 * what it needs of the store, not the project's log from its start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatastorePage, KeptnEvent } from '../../src/keptn/index.js';
import { KeptnDatastore, KeptnFold } from '../../src/keptn/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import type { EventFilter, Store } from '../../src/store/index.js';
import { waitForRunFinished } from '../e2e/support/wait.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

// `evaluation` runs built-in (no SLO: it passes), so every run ends on its own.
const SHIPYARD = `apiVersion: spec.keptn.sh/0.2.3
kind: Shipyard
metadata: {name: sockshop}
spec:
  stages:
    - name: dev
      sequences:
        - name: delivery
          tasks:
            - name: evaluation
`;

const RELEASES = 5;

let sw: Slipway;
let dir: string;
let whole: KeptnEvent[];
let logSize: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-datastore-'));
  sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)) });
  await sw.addPipelineText(SHIPYARD, 'shipyard.yaml', dir);
  for (let i = 1; i <= RELEASES; i++) {
    const done = waitForRunFinished(sw, { stage: 'dev' });
    await sw.engine.apply({ type: 'trigger', id: `trigger-${i}`, by: 'test', project: 'sockshop', stage: 'dev', artifacts: { carts: `carts:${i}`, orders: `orders:${i}` } });
    expect(await done).toMatchObject({ state: 'succeeded' });
  }
  const log = await sw.store.events({ project: 'sockshop' });
  logSize = log.length;
  whole = KeptnFold.map(log.map((r) => r.event)).events;
}, 60_000);

afterAll(async () => {
  await sw?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The store, counting the event rows each read returns. */
function counting(store: Store): { store: Store; rows: () => number } {
  let rows = 0;
  const wrapped = Object.create(store) as Store;
  wrapped.events = async (f: EventFilter) => {
    const got = await store.events(f);
    rows += got.length;
    return got;
  };
  return { store: wrapped, rows: () => rows };
}

async function all(ds: KeptnDatastore, q: { keptnContext?: string; type?: string; pageSize: number }): Promise<{ events: KeptnEvent[]; pages: DatastorePage[] }> {
  const pages: DatastorePage[] = [];
  let nextPageKey: string | undefined;
  for (;;) {
    const page = await ds.page({ project: 'sockshop', ...q, ...(nextPageKey !== undefined ? { nextPageKey } : {}) });
    pages.push(page);
    if (page.nextPageKey === '0') break;
    nextPageKey = page.nextPageKey;
    expect(pages.length).toBeLessThan(1000);
  }
  return { events: pages.flatMap((p) => p.events), pages };
}

describe('Keptn datastore', () => {
  it('pages through a project give the whole log’s Keptn events, in order, for any page size', async () => {
    expect(whole.length).toBe(RELEASES * 2 * 5);
    for (const pageSize of [1, 3, 7, 100]) {
      const { events, pages } = await all(new KeptnDatastore(sw.store), { pageSize });
      expect(events, `pageSize ${pageSize}`).toEqual(whole);
      expect(pages.slice(0, -1).every((p) => p.events.length === pageSize)).toBe(true);
      expect(pages.at(-1)!.totalCount).toBe(whole.length);
    }
  });

  it('one Keptn context gives that release’s events only, with its exact count', async () => {
    const context = whole.find((e) => e.data.configurationChange !== undefined && JSON.stringify(e.data).includes('carts:3'))!.shkeptncontext;
    const expected = whole.filter((e) => e.shkeptncontext === context);
    expect(expected.length).toBe(10);
    const { events, pages } = await all(new KeptnDatastore(sw.store), { keptnContext: context, pageSize: 4 });
    expect(events).toEqual(expected);
    expect(pages.map((p) => p.totalCount)).toEqual([10, 10, 10]);
    expect((await new KeptnDatastore(sw.store).page({ project: 'sockshop', keptnContext: '00000000-0000-5000-8000-000000000000', pageSize: 10 })).events).toEqual([]);
  });

  it('a type filter gives the events of that type across pages', async () => {
    const type = 'sh.keptn.event.evaluation.finished';
    const { events } = await all(new KeptnDatastore(sw.store), { type, pageSize: 3 });
    expect(events).toEqual(whole.filter((e) => e.type === type));
    expect(events.map((e) => e.data.service)).toEqual(Array.from({ length: RELEASES }, () => ['carts', 'orders']).flat());
  });

  it('a page reads its release’s events and what follows the cursor, not the log from its start', async () => {
    const last = whole.at(-1)!.shkeptncontext;
    const byContext = counting(sw.store);
    await new KeptnDatastore(byContext.store).page({ project: 'sockshop', keptnContext: last, pageSize: 100 });
    // The release's own run, plus the release.created events that name contexts.
    expect(byContext.rows()).toBeLessThan(logSize / 2);

    // The cursor of the last page: only the events after it and its release's earlier ones are read.
    const first = await new KeptnDatastore(sw.store).page({ project: 'sockshop', pageSize: whole.length - 3 });
    const tail = counting(sw.store);
    const page = await new KeptnDatastore(tail.store).page({ project: 'sockshop', pageSize: 100, nextPageKey: first.nextPageKey });
    expect(page.events).toEqual(whole.slice(-3));
    expect(tail.rows()).toBeLessThan(logSize / 2);
  });
});
