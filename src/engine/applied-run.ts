/**
 * The run an applied input queued, read back from the log. The engine names an input's events
 * `<input id>.<n>` (core Tx.emit), so a caller whose input id is stable across a restart (a
 * webhook delivery, an API change sent with an Idempotency-Key) finds what its input made when
 * the process stopped before the answer was kept, instead of applying it again.
 */
import { eventTypes } from '../core/index.js';
import type { Store } from '../store/index.js';

export async function runQueuedBy(store: Pick<Store, 'eventsOfInput'>, inputId: string): Promise<{ releaseId: string; runId: string } | undefined> {
  const events = await store.eventsOfInput(inputId);
  const queued = events.find((e) => e.type === eventTypes.runQueued);
  const run = (queued?.data as { run?: { id?: unknown; releaseId?: unknown } } | undefined)?.run;
  return typeof run?.id === 'string' && typeof run.releaseId === 'string' ? { releaseId: run.releaseId, runId: run.id } : undefined;
}
