/**
 * Turning what happened into queue rows, one per notice and sink that hears about it.
 *
 * Why a cursor over the event log, and not outbox rows written by the engine's transaction:
 * the log is already durable and written in that transaction, so nothing is lost between a
 * commit and the rows made from it, and the engine's path stays exactly as it was: a slow
 * store read here, or a project with fifty sinks, never lengthens a run's transaction. The
 * rows and the cursor's new position are saved in one store transaction; a crash in between
 * re-reads the same events, and the rows' ids (`<project>/<sink>/<event id>`) make that
 * harmless. Rows, not one cursor per sink, because each sink needs its own retry state and
 * freeze notices come from the calendar, not the log.
 */
import type { NotificationSinkSpec, Pipeline } from '../core/index.js';
import type { NotificationRow, Store } from '../store/index.js';
import { freezeNotices, nextFreezeChange } from './freeze-notices.js';
import { mayNotify, noticeOf, type NoticeLookups } from './from-events.js';
import type { Notice } from './notice.js';
import { concerns } from './notice.js';

export const EVENTS_CURSOR = 'events';
const BATCH = 200;

export function rowsFor(n: Notice, sinks: readonly NotificationSinkSpec[], now: number): NotificationRow[] {
  return sinks
    .filter((s) => s.on.includes(n.topic) && concerns(n, s.stages))
    .map((s) => ({ id: `${n.project}/${s.name}/${n.id}`, project: n.project, sink: s.name, state: 'pending', nextAt: now, attempts: 0, createdAt: now, notice: n as unknown as Record<string, unknown> }));
}

/** How long the events cursor may move in memory only, when a pass queued no row. */
export const CURSOR_SAVE_MS = 5_000;

export interface IntakeOptions {
  pipelineOf: (project: string) => Pipeline | undefined;
  /** Whether any loaded pipeline has a sink: without one, no event can make a row, and the log is not read. */
  anySinks: () => boolean;
  now: () => number;
}

/**
 * Reads the log from the cursor to its end, queueing rows; the first start begins at the end (no
 * notices for history). The cursor is saved with the rows a pass queues, in their transaction;
 * a pass that queued none moves it in memory and saves it at most every CURSOR_SAVE_MS (and on
 * `flush`). Saving it on every pass was a second durable commit beside each of the engine's,
 * and the engine's next commit waited behind it. A crash re-reads at most those seconds of the
 * log, and the rows' ids make that harmless.
 */
export class EventIntake {
  private seq: number | undefined;
  private saved: number | undefined;
  private savedAt = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly opts: IntakeOptions,
  ) {}

  /** One pass; `stop` ends it between batches: while the engine keeps writing (a thousand gates sampling), the end may never be reached, and stopping the server waited on it. */
  async pass(stop?: AbortSignal): Promise<number> {
    const { store } = this;
    if (this.seq === undefined) {
      const stored = await store.notifyCursor(EVENTS_CURSOR);
      if (stored === undefined) {
        await this.save([], await store.lastEventSeq());
        return 0;
      }
      this.seq = this.saved = stored;
    }
    if (!this.opts.anySinks()) {
      this.seq = await store.lastEventSeq();
      return this.saveIfDue(0);
    }
    const look: NoticeLookups = {
      release: (id) => store.getRelease(id),
      run: (id) => store.getRun(id),
      runEvents: async (runId, types) => (await store.events({ runId, types })).map((s) => s.event),
    };
    let added = 0;
    while (!stop?.aborted) {
      const batch = await store.events({ afterSeq: this.seq, limit: BATCH });
      if (batch.length === 0) break;
      const rows: NotificationRow[] = [];
      for (const { event } of batch) {
        const sinks = this.opts.pipelineOf(event.project)?.notifications;
        if (!sinks?.length || !mayNotify(event.type)) continue;
        const n = await noticeOf(event, look);
        if (n) rows.push(...rowsFor(n, sinks, this.opts.now()));
      }
      if (rows.length > 0) added += await this.save(rows, batch.at(-1)!.seq);
      else this.seq = batch.at(-1)!.seq;
      if (batch.length < BATCH) break;
    }
    return this.saveIfDue(added);
  }

  /** Saves the cursor if it moved since it was last saved. */
  async flush(): Promise<void> {
    if (this.seq !== undefined && this.seq !== this.saved) await this.save([], this.seq);
  }

  private async saveIfDue(added: number): Promise<number> {
    if (this.opts.now() - this.savedAt >= CURSOR_SAVE_MS) await this.flush();
    return added;
  }

  private async save(rows: NotificationRow[], seq: number): Promise<number> {
    const added = await this.store.enqueueNotifications(rows, [{ name: EVENTS_CURSOR, value: seq }]);
    this.seq = this.saved = seq;
    this.savedAt = this.opts.now();
    return added;
  }
}

/**
 * Freeze windows that started or ended since the project's freeze cursor, up to `now`.
 * Answers when the next window of any project starts or ends (to wake then).
 */
export async function intakeFreezes(store: Store, pipelines: Iterable<Pipeline>, now: number): Promise<number | undefined> {
  let wake: number | undefined;
  for (const p of pipelines) {
    const sinks = (p.notifications ?? []).filter((s) => s.on.includes('freeze.started') || s.on.includes('freeze.ended'));
    if (sinks.length === 0 || !p.freezes?.length) continue;
    const name = `freeze:${p.name}`;
    const from = await store.notifyCursor(name);
    if (from === undefined || from < now) {
      const rows = from === undefined ? [] : freezeNotices(p.name, p.freezes, from, now).flatMap((n) => rowsFor(n, sinks, now));
      await store.enqueueNotifications(rows, [{ name, value: now }]);
    }
    const next = nextFreezeChange(p.freezes, now);
    if (next !== undefined) wake = Math.min(wake ?? next, next);
  }
  return wake;
}
