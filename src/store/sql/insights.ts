/**
 * What the delivery insights read, shaped so a long history stays cheap: the runs of a
 * window come from the covering index `runs_insights` (migration 0012) without touching
 * the run rows; only production runs have their JSON body opened (by the database, for two
 * members); releases are read once per query, not once per run.
 */
import type { Kysely, RawBuilder } from 'kysely';
import type { ArrivalRow, DeploymentQuery, DeploymentRow } from '../port.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
/** A JSON member of a text column, as the dialect reads it (`json_extract` in SQLite). */
export type JsonField = (column: string, path: readonly string[]) => RawBuilder<unknown>;

const num = (v: unknown): number | undefined => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

export async function deployments(db: Db, q: DeploymentQuery, json: JsonField): Promise<DeploymentRow[]> {
  let query = db
    .selectFrom('runs')
    .select(['id', 'release_id', 'stage', 'state', 'queue_seq', 'finished_at'])
    .select([json('body', ['cause']).as('cause'), json('body', ['carriedResult']).as('carried')])
    .where('project', '=', q.project)
    .where('finished_at', '>=', q.fromMs)
    .where('finished_at', '<', q.toMs)
    .where('state', 'in', ['succeeded', 'failed']);
  if (q.stage !== undefined) query = query.where('stage', '=', q.stage);
  const dir = q.newestFirst ? 'desc' : 'asc';
  query = query.orderBy('finished_at', dir).orderBy('queue_seq', dir);
  if (q.limit !== undefined) query = query.limit(q.limit);
  return (await query.execute()).map((r) => ({
    runId: r.id,
    releaseId: r.release_id,
    stage: r.stage,
    state: r.state === 'failed' ? 'failed' : 'succeeded',
    queueSeq: Number(r.queue_seq),
    finishedAt: Number(r.finished_at),
    rollback: r.cause === 'rollback',
    carriedFail: r.carried === 'fail',
  }));
}

/**
 * Each release's first success in each stage, where that falls in [fromMs, toMs), with the
 * release's commit times. A release made before the window may have got to a stage before
 * it too (a rollback brings it back later): those few are looked up by release.
 */
export async function arrivals(db: Db, project: string, fromMs: number, toMs: number, json: JsonField, maxParameters: number): Promise<ArrivalRow[]> {
  const ends = await db
    .selectFrom('runs')
    .select(['stage', 'release_id', 'finished_at'])
    .where('project', '=', project)
    .where('finished_at', '>=', fromMs)
    .where('finished_at', '<', toMs)
    .where('state', '=', 'succeeded')
    .orderBy('finished_at')
    .execute();
  const first = new Map<string, { stage: string; releaseId: string; at: number }>();
  for (const e of ends) {
    const key = `${e.stage}\u0000${e.release_id}`;
    if (!first.has(key)) first.set(key, { stage: e.stage, releaseId: e.release_id, at: Number(e.finished_at) });
  }
  const releases = new Map<string, { createdAt: number; commitTime?: number; firstCommitTime?: number }>();
  const rows = await db
    .selectFrom('releases')
    .select(['id', 'created_at', json('body', ['provenance', 'commitTime']).as('ct'), json('body', ['provenance', 'firstCommitTime']).as('fct')])
    .where('project', '=', project)
    .where('created_at', '<', toMs)
    .execute();
  for (const r of rows) {
    const ct = num(r.ct);
    const fct = num(r.fct);
    releases.set(r.id, { createdAt: Number(r.created_at), ...(ct !== undefined ? { commitTime: ct } : {}), ...(fct !== undefined ? { firstCommitTime: fct } : {}) });
  }
  const older = [...new Set([...first.values()].filter((a) => (releases.get(a.releaseId)?.createdAt ?? 0) < fromMs).map((a) => a.releaseId))];
  const chunk = Math.max(1, maxParameters - 4);
  for (let i = 0; i < older.length; i += chunk) {
    const before = await db
      .selectFrom('runs')
      .select(['stage', 'release_id'])
      .where('release_id', 'in', older.slice(i, i + chunk))
      .where('state', '=', 'succeeded')
      .where('finished_at', '<', fromMs)
      .execute();
    for (const b of before) first.delete(`${b.stage}\u0000${b.release_id}`);
  }
  return [...first.values()].map((a) => {
    const r = releases.get(a.releaseId);
    return {
      ...a,
      ...(r?.commitTime !== undefined ? { commitTime: r.commitTime } : {}),
      ...(r?.firstCommitTime !== undefined ? { firstCommitTime: r.firstCommitTime } : {}),
    };
  });
}
