/**
 * Keptn's datastore (`GET /api/mongodb-datastore/event`) over the store, a page at a time.
 * KeptnFold needs what came before an event in its release (the release's artifacts, its runs,
 * what earlier tasks returned), but nothing of other releases: a release's Keptn events
 * depend only on that release. So a page never reads the project's log from its start:
 *
 * - with `keptnContext` (one release): the release and its runs' events, read by run;
 * - without: the project's log from the cursor on, each release met on the way first folded
 *   from its own earlier events (read by run, up to the event met), then mapped as it comes.
 *
 * The cursor (`nextPageKey`) is opaque to Keptn's clients, which pass it back until it is `"0"`.
 */
import { eventTypes } from '../core/index.js';
import type { Release, Run, RunQueuedData, SlipwayEvent } from '../core/index.js';
import type { Store, StoredEvent } from '../store/index.js';
import type { KeptnEvent } from './dialect.js';
import { keptnContextOf } from './ids.js';
import { KeptnFold } from './stream.js';

export interface DatastoreQuery {
  project: string;
  keptnContext?: string;
  /** A Keptn event type (`sh.keptn.event.deployment.finished`). */
  type?: string;
  pageSize: number;
  nextPageKey?: string;
}

export interface DatastorePage {
  events: KeptnEvent[];
  nextPageKey: string;
  /** Exact for one context; for a whole project, the events given up to and including this page (the count of the rest is not known without reading it). */
  totalCount: number;
  pageSize: number;
}

/** `nextPageKey` as this route writes it: an offset in one context, or `<seq>.<skip>.<given>` in a project's log. */
export const DATASTORE_KEY = /^(\d{1,9}|\d{1,15}\.\d{1,4}\.\d{1,9})$/;

/** Store events read per step of a project page. */
const STEP = 200;
/** Store events one project page reads at most (a rare `type` may need several pages, as in Keptn). */
const MAX_SCAN = 5000;

type StoreReads = Pick<Store, 'events' | 'getRelease' | 'getRun' | 'listRuns'>;

export class KeptnDatastore {
  /** Per project: Keptn context → release id, learnt from the log's `release.created` events, and how far. */
  private readonly contexts = new Map<string, { byContext: Map<string, string>; seq: number }>();

  constructor(private readonly store: StoreReads) {}

  async page(q: DatastoreQuery): Promise<DatastorePage> {
    return q.keptnContext !== undefined ? this.contextPage(q, q.keptnContext) : this.projectPage(q);
  }

  private async contextPage(q: DatastoreQuery, context: string): Promise<DatastorePage> {
    const releaseId = await this.releaseOf(q.project, context);
    const all = releaseId === undefined ? [] : (await this.releaseEvents(releaseId, Number.MAX_SAFE_INTEGER)).flatMap((e) => e.keptn).filter((e) => q.type === undefined || e.type === q.type);
    const from = q.nextPageKey !== undefined && /^\d+$/.test(q.nextPageKey) ? Number(q.nextPageKey) : 0;
    const events = all.slice(from, from + q.pageSize);
    return { events, nextPageKey: from + q.pageSize < all.length ? String(from + q.pageSize) : '0', totalCount: all.length, pageSize: q.pageSize };
  }

  private async projectPage(q: DatastoreQuery): Promise<DatastorePage> {
    const [seq, skip, given] = (q.nextPageKey?.includes('.') ? q.nextPageKey.split('.').map(Number) : [0, 0, 0]) as [number, number, number];
    const folds = new Map<string, KeptnFold>();
    const runs = new Map<string, string>();
    const events: KeptnEvent[] = [];
    // A page may end inside one Slipway event's Keptn events: the next starts with that event again and skips what was given.
    let after = skip > 0 ? seq - 1 : seq;
    let scanned = 0;
    for (;;) {
      const rows = await this.store.events({ project: q.project, afterSeq: after, limit: STEP });
      for (const row of rows) {
        after = row.seq;
        scanned++;
        const releaseId = await this.releaseOfEvent(row.event, runs);
        if (releaseId === undefined) continue;
        let fold = folds.get(releaseId);
        if (!fold) folds.set(releaseId, (fold = await this.primed(releaseId, row.seq)));
        const mapped = fold.add(row.event);
        const from = row.seq === seq && skip > 0 ? skip : 0;
        for (let k = from; k < mapped.length; k++) {
          const e = mapped[k]!;
          if (q.type !== undefined && e.type !== q.type) continue;
          events.push(e);
          if (events.length === q.pageSize) {
            const rest = mapped.slice(k + 1).some((m) => q.type === undefined || m.type === q.type);
            const key = rest ? `${row.seq}.${k + 1}.${given + events.length}` : `${row.seq}.0.${given + events.length}`;
            return { events, nextPageKey: rest || (await this.more(q.project, row.seq)) ? key : '0', totalCount: given + events.length, pageSize: q.pageSize };
          }
        }
      }
      if (rows.length < STEP) break;
      if (scanned >= MAX_SCAN) return { events, nextPageKey: `${after}.0.${given + events.length}`, totalCount: given + events.length, pageSize: q.pageSize };
    }
    return { events, nextPageKey: '0', totalCount: given + events.length, pageSize: q.pageSize };
  }

  private async more(project: string, seq: number): Promise<boolean> {
    return (await this.store.events({ project, afterSeq: seq, limit: 1 })).length > 0;
  }

  /** The release a log event belongs to (none for events Keptn has no counterpart of). */
  private async releaseOfEvent(e: SlipwayEvent, runs: Map<string, string>): Promise<string | undefined> {
    if (e.type === eventTypes.releaseCreated) return (e.data as { release: Release }).release.id;
    if (e.runid === undefined) return undefined;
    if (e.type === eventTypes.runQueued) runs.set(e.runid, (e.data as unknown as RunQueuedData).run.releaseId);
    let id = runs.get(e.runid);
    if (id === undefined) {
      id = (await this.store.getRun(e.runid))?.releaseId;
      if (id !== undefined) runs.set(e.runid, id);
    }
    return id;
  }

  /** A fold that has seen every event of the release before log position `before`. */
  private async primed(releaseId: string, before: number): Promise<KeptnFold> {
    const fold = new KeptnFold();
    const release = await this.store.getRelease(releaseId);
    if (release) fold.addRelease(release);
    for (const row of await this.runEvents(releaseId, before)) fold.add(row.event);
    return fold;
  }

  /** The release's Keptn events, in log order, from a fresh fold. */
  private async releaseEvents(releaseId: string, before: number): Promise<{ seq: number; keptn: KeptnEvent[] }[]> {
    const fold = new KeptnFold();
    const release = await this.store.getRelease(releaseId);
    if (release) fold.addRelease(release);
    return (await this.runEvents(releaseId, before)).map((row) => ({ seq: row.seq, keptn: fold.add(row.event) }));
  }

  /** Every event of the release's runs before log position `before`, in log order. */
  private async runEvents(releaseId: string, before: number): Promise<StoredEvent[]> {
    const runs: Run[] = await this.store.listRuns({ releaseId });
    const rows = (await Promise.all(runs.map((r) => this.store.events({ runId: r.id })))).flat();
    return rows.filter((r) => r.seq < before).sort((a, b) => a.seq - b.seq);
  }

  /** The release a Keptn context names in the project, learnt incrementally from `release.created` events. */
  private async releaseOf(project: string, context: string): Promise<string | undefined> {
    let known = this.contexts.get(project);
    if (!known) this.contexts.set(project, (known = { byContext: new Map(), seq: 0 }));
    const hit = known.byContext.get(context);
    if (hit !== undefined) return hit;
    for (;;) {
      const rows = await this.store.events({ project, types: [eventTypes.releaseCreated], afterSeq: known.seq, limit: 1000 });
      for (const row of rows) {
        const r = (row.event.data as { release: Release }).release;
        known.byContext.set(keptnContextOf(project, r.id), r.id);
        known.seq = row.seq;
      }
      if (rows.length < 1000) break;
    }
    return known.byContext.get(context);
  }
}
