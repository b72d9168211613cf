/**
 * What the delivery insights read: runs that ended in a time range (index `runs_project_finished`,
 * migration 0012), with the few fields of the run and its release they need taken out of
 * the JSON bodies by the database, so a long history is never decoded in JavaScript.
 */
import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import type { DeploymentQuery, DeploymentRow } from '../port.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
/** A JSON member of a text column, as the dialect reads it (`json_extract` in SQLite). */
export type JsonField = (column: string, path: readonly string[]) => RawBuilder<unknown>;

const num = (v: unknown): number | undefined => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

export async function deployments(db: Db, q: DeploymentQuery, json: JsonField): Promise<DeploymentRow[]> {
  const first = q.firstSuccessOnly === true;
  let query = db
    .selectFrom('runs as r')
    .innerJoin('releases as rel', 'rel.id', 'r.release_id')
    .select(['r.id', 'r.release_id', 'r.stage', 'r.state', 'r.queue_seq', 'r.finished_at'])
    .select([
      (first ? sql`null` : json('r.body', ['cause'])).as('cause'),
      (first ? sql`null` : json('r.body', ['carriedResult'])).as('carried'),
      json('rel.body', ['provenance', 'commitTime']).as('ct'),
      json('rel.body', ['provenance', 'firstCommitTime']).as('fct'),
    ])
    .where('r.project', '=', q.project)
    .where('r.finished_at', '>=', q.fromMs)
    .where('r.finished_at', '<', q.toMs);
  if (q.stage !== undefined) query = query.where('r.stage', '=', q.stage);
  if (first) {
    // The release's first success in the stage: a later one (a rollback to it) is not when it got there.
    // Only a release made before the range can have succeeded before it: the OR spares the rest the lookup.
    const earlier: Expression<boolean> = sql<boolean>`not exists (select 1 from runs as r2 where r2.release_id = r.release_id and r2.stage = r.stage and r2.state = 'succeeded' and r2.finished_at < r.finished_at)`;
    query = query.where('r.state', '=', 'succeeded').where((eb) => eb.or([eb('rel.created_at', '>=', q.fromMs), earlier]));
  } else {
    query = query.where('r.state', 'in', ['succeeded', 'failed']);
  }
  const dir = q.newestFirst ? 'desc' : 'asc';
  query = query.orderBy('r.finished_at', dir).orderBy('r.queue_seq', dir);
  if (q.limit !== undefined) query = query.limit(q.limit);
  const rows = await query.execute();
  const out = rows.map((r): DeploymentRow => {
    const ct = num(r.ct);
    const fct = num(r.fct);
    return {
      runId: r.id,
      releaseId: r.release_id,
      stage: r.stage,
      state: r.state === 'failed' ? 'failed' : 'succeeded',
      queueSeq: Number(r.queue_seq),
      finishedAt: Number(r.finished_at),
      rollback: r.cause === 'rollback',
      carriedFail: r.carried === 'fail',
      ...(ct !== undefined ? { commitTime: ct } : {}),
      ...(fct !== undefined ? { firstCommitTime: fct } : {}),
    };
  });
  if (!first) return out;
  // Two successes of one release in a stage inside the range: keep the first.
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = `${d.stage}\u0000${d.releaseId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
