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

/**
 * Reads the log from the cursor to its end, queueing rows; the first start begins at the end (no
 * notices for history). `stop` ends it between batches: while the engine keeps writing (a
 * thousand gates sampling), the end may never be reached, and stopping the server waited on it.
 */
export async function intakeEvents(store: Store, pipelineOf: (project: string) => Pipeline | undefined, now: () => number, stop?: AbortSignal): Promise<number> {
  let cursor = await store.notifyCursor(EVENTS_CURSOR);
  if (cursor === undefined) {
    await store.enqueueNotifications([], [{ name: EVENTS_CURSOR, value: await store.lastEventSeq() }]);
    return 0;
  }
  const look: NoticeLookups = {
    release: (id) => store.getRelease(id),
    run: (id) => store.getRun(id),
    runEvents: async (runId, types) => (await store.events({ runId, types })).map((s) => s.event),
  };
  let added = 0;
  while (!stop?.aborted) {
    const batch = await store.events({ afterSeq: cursor, limit: BATCH });
    if (batch.length === 0) return added;
    const rows: NotificationRow[] = [];
    for (const { event } of batch) {
      const sinks = pipelineOf(event.project)?.notifications;
      if (!sinks?.length || !mayNotify(event.type)) continue;
      const n = await noticeOf(event, look);
      if (n) rows.push(...rowsFor(n, sinks, now()));
    }
    cursor = batch.at(-1)!.seq;
    added += await store.enqueueNotifications(rows, [{ name: EVENTS_CURSOR, value: cursor }]);
    if (batch.length < BATCH) return added;
  }
  return added;
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
