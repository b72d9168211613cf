/**
 * Per sink: how many notices were delivered, wait, or were given up, and, while its first
 * waiting notice keeps failing, since when, why, and when the next try is. What
 * `slipway notifications status` and GET /api/v1/notifications show.
 */
import type { Pipeline } from '../core/index.js';
import type { NotificationRow, Store } from '../store/index.js';

export interface SinkStatus {
  project: string;
  sink: string;
  /** `slack`, `webhook`, or `removed` for rows of a sink no longer in slipway.yaml. */
  kind: string;
  on: string[];
  stages: string[] | null;
  delivered: number;
  pending: number;
  /** Given up after their tries (or refused for good): their errors are in lastError. */
  failed: number;
  /** UTC ms the first waiting notice first failed; null while it is not failing. */
  failingSince: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** UTC ms of the next try of the failing notice. */
  nextRetry: number | null;
  /** Tries of the failing notice so far. */
  attempts: number;
  lastDeliveredAt: number | null;
}

export async function sinkStatuses(store: Store, pipelines: Iterable<Pipeline>, project?: string): Promise<SinkStatus[]> {
  const counts = await store.notificationCounts();
  const out = new Map<string, SinkStatus>();
  const blank = (p: string, sink: string, kind: string, on: string[], stages: string[] | null): SinkStatus => ({
    project: p,
    sink,
    kind,
    on,
    stages,
    delivered: 0,
    pending: 0,
    failed: 0,
    failingSince: null,
    lastError: null,
    lastErrorAt: null,
    nextRetry: null,
    attempts: 0,
    lastDeliveredAt: null,
  });
  for (const p of pipelines) {
    if (project !== undefined && p.name !== project) continue;
    for (const s of p.notifications ?? []) out.set(`${p.name}/${s.name}`, blank(p.name, s.name, s.kind, [...s.on], s.stages ? [...s.stages] : null));
  }
  for (const c of counts) {
    if (project !== undefined && c.project !== project) continue;
    const key = `${c.project}/${c.sink}`;
    const s = out.get(key) ?? blank(c.project, c.sink, 'removed', [], null);
    out.set(key, s);
    if (c.state === 'delivered') s.delivered = c.count;
    else if (c.state === 'pending') s.pending = c.count;
    else s.failed = c.count;
  }
  for (const s of out.values()) {
    const one = async (states: NotificationRow['state'][], newest: boolean) => (await store.notifications({ project: s.project, sink: s.sink, states, limit: 1, newest }))[0];
    const last = s.delivered > 0 ? await one(['delivered'], true) : undefined;
    s.lastDeliveredAt = last?.deliveredAt ?? null;
    const head = s.pending > 0 ? await one(['pending'], false) : undefined;
    if (head && head.attempts > 0) {
      s.failingSince = head.firstFailedAt ?? null;
      s.lastError = head.lastError ?? null;
      s.lastErrorAt = head.lastAttemptAt ?? null;
      s.nextRetry = head.nextAt;
      s.attempts = head.attempts;
      continue;
    }
    const dead = s.failed > 0 ? await one(['dead'], true) : undefined;
    if (dead) {
      s.lastError = dead.lastError ?? null;
      s.lastErrorAt = dead.lastAttemptAt ?? null;
    }
  }
  return [...out.values()].sort((a, b) => a.project.localeCompare(b.project) || a.sink.localeCompare(b.sink));
}
