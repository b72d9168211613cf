/**
 * Turns what a batch of decisions did (events, effects, the state's dirty marks) into one
 * CommitBatch. Effects on the same row net out in order (a timer set then cancelled in the
 * same batch is never written), so the store only sees the final word per row.
 */
import type { CoreState, Effect, SlipwayEvent, Timer } from '../core/index.js';
import { emptyDirty } from '../core/index.js';
import type { CommitBatch, OutboxRow } from '../store/index.js';

export interface Netted {
  batch: CommitBatch;
  /** Effects to carry out after the commit, in order. */
  after: Effect[];
  /** Timers as they stand after the commit: set (Timer) or gone (null). */
  timers: Map<string, Timer | null>;
}

export function buildCommit(state: CoreState, events: SlipwayEvent[], effects: Effect[], now: number): Netted {
  const outbox = new Map<string, OutboxRow>();
  const settled = new Set<string>();
  const timers = new Map<string, Timer | null>();
  let resumes = 0;
  for (const e of effects) {
    switch (e.type) {
      case 'dispatch':
        outbox.set(`dispatch:${e.taskId}`, { id: `dispatch:${e.taskId}`, taskId: e.taskId, project: e.project, kind: 'dispatch', payload: {}, createdAt: now });
        break;
      case 'resume': {
        const id = `resume:${e.taskId}:${now}:${resumes++}`;
        const payload = { signal: e.signal, ...(e.payload ? { payload: e.payload } : {}), ...(e.by !== undefined ? { by: e.by } : {}) };
        outbox.set(id, { id, taskId: e.taskId, project: e.project, kind: 'resume', payload, createdAt: now });
        break;
      }
      case 'settle':
        for (const [id, row] of outbox) if (row.taskId === e.taskId) outbox.delete(id);
        settled.add(e.taskId);
        break;
      case 'setTimer':
        timers.set(e.timer.id, e.timer);
        break;
      case 'cancelTimer':
        timers.set(e.id, null);
        break;
      case 'abort':
        break;
    }
  }
  const d = state.dirty;
  state.dirty = emptyDirty();
  const batch: CommitBatch = {
    events,
    releases: [...d.releases].map((id) => state.releases.get(id)!.release),
    runs: [...d.runs].flatMap((id) => {
      const r = state.runs.get(id);
      return r ? [r] : [];
    }),
    stagePasses: d.stagePasses,
    artifactPasses: d.artifactPasses,
    live: [...d.live].map((k) => state.live.get(k)!),
    outboxPut: [...outbox.values()],
    outboxSettle: [...settled],
    timersPut: [...timers.values()].filter((t): t is Timer => t !== null),
    timersDelete: [...timers].filter(([, t]) => t === null).map(([id]) => id),
    ...(d.flags.size > 0 ? { flags: [...d.flags].map((k) => state.flags.get(k)!) } : {}),
  };
  return { batch, after: effects, timers };
}
