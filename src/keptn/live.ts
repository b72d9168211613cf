/**
 * One live reader's view of a project's log in Keptn's dialect (the SSE stream with
 * `?dialect=keptn`). KeptnFold must see a project's log in order from its start (it learns
 * runs from `run.queued` and artifacts from `release.created`, which a reader joining mid-log
 * never sees live), so a reader starting at log position N first folds what the store holds
 * of the project up to N, discarding the output, then maps each later event as it comes.
 * Keptn's ids are name-based (ids.ts): the same Slipway event gives the same Keptn events in
 * every reader, in the datastore route and in the executor API.
 */
import type { Store, StoredEvent } from '../store/index.js';
import type { KeptnEvent } from './dialect.js';
import { KeptnFold } from './stream.js';

/** Store events read per page while catching up. */
const PAGE = 1000;

export class KeptnProjectReader {
  private readonly fold = new KeptnFold();
  private at = 0;

  private constructor(readonly project: string) {}

  /** A reader of `project` whose fold has seen every event of it up to log position `seq`. */
  static async upTo(store: Pick<Store, 'events'>, project: string, seq: number): Promise<KeptnProjectReader> {
    const reader = new KeptnProjectReader(project);
    for (;;) {
      const page = await store.events({ project, afterSeq: reader.at, limit: PAGE });
      let more = page.length === PAGE;
      for (const row of page) {
        if (row.seq > seq) {
          more = false;
          break;
        }
        reader.fold.add(row.event);
        reader.at = row.seq;
      }
      if (!more) break;
    }
    reader.at = Math.max(reader.at, seq);
    return reader;
  }

  /** The Keptn events of the next event of the log (none for another project's, or one already seen). */
  map(row: StoredEvent): KeptnEvent[] {
    if (row.event.project !== this.project || row.seq <= this.at) return [];
    this.at = row.seq;
    return this.fold.add(row.event);
  }
}
