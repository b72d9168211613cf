/**
 * The read port checks use to look back at a stage (an evaluation's history, a gate's
 * "no run failed in dev in the last hour"): the store's runs, newest first, trimmed to
 * what an executor may see (no specs, no claims).
 */
import type { Run } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { PastRun, RunQuery } from './executor.js';

const MAX = 500;

export async function pastRuns(store: Store, q: RunQuery): Promise<PastRun[]> {
  const limit = Math.min(Math.max(1, q.limit ?? 50), MAX);
  const runs = await store.listRunsWithoutSpecs({ project: q.project, stage: q.stage, limit, ...(q.service !== undefined ? { service: q.service } : {}), ...(q.states ? { states: q.states } : {}) });
  return runs.map(toPastRun);
}

function toPastRun(r: Omit<Run, 'spec'>): PastRun {
  return {
    id: r.id,
    releaseId: r.releaseId,
    sequence: r.sequence,
    state: r.state,
    ...(r.result !== undefined ? { result: r.result } : {}),
    queuedAt: r.queuedAt,
    ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
    ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
    ...(r.triggeredBy !== undefined ? { triggeredBy: r.triggeredBy } : {}),
    tasks: r.tasks.map((t) => ({
      name: t.name,
      kind: t.kind,
      ...(t.result !== undefined ? { result: t.result } : {}),
      ...(t.message !== undefined ? { message: t.message } : {}),
      ...(t.data !== undefined ? { data: t.data } : {}),
      ...(t.finishedAt !== undefined ? { finishedAt: t.finishedAt } : {}),
    })),
  };
}
