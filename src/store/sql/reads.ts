/** The Store's queries, written once for every dialect. Bodies are decoded as stored. */
import { sql, type Kysely } from 'kysely';
import type { ArtifactPass, LiveEntry, Release, Run, StagePass, Timer } from '../../core/index.js';
import type { EventFilter, OutboxRow, RunFilter, StoredEvent } from '../port.js';
import { knownEventJson } from '../event-json.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
const bodies = <T>(rows: readonly { body: string }[]): T[] => rows.map((r) => decode<T>(r.body));

/** Attaches each run's spec from run_specs (runs written before it existed carry theirs in the body). */
async function withSpecs(db: Db, runs: Run[]): Promise<Run[]> {
  const missing = runs.filter((r) => r.spec === undefined).map((r) => r.id);
  const specs = new Map<string, Run['spec']>();
  for (let i = 0; i < missing.length; i += 500) {
    const rows = await db.selectFrom('run_specs').select(['run_id', 'body']).where('run_id', 'in', missing.slice(i, i + 500)).execute();
    for (const row of rows) specs.set(row.run_id, decode<Run['spec']>(row.body));
  }
  for (const r of runs) if (r.spec === undefined) r.spec = specs.get(r.id)!;
  return runs;
}

export async function runsInStates(db: Db, states: readonly string[]): Promise<Run[]> {
  const rows = await db.selectFrom('runs').select('body').where('state', 'in', states).orderBy('queue_seq').orderBy('id').execute();
  return withSpecs(db, bodies<Run>(rows));
}

export async function maxQueueSeq(db: Db): Promise<number> {
  const row = await db.selectFrom('runs').select(sql<number | string | null>`max(queue_seq)`.as('max')).executeTakeFirst();
  return Number(row?.max ?? 0);
}

export async function getRun(db: Db, id: string): Promise<Run | undefined> {
  const row = await db.selectFrom('runs').select('body').where('id', '=', id).executeTakeFirst();
  return row && (await withSpecs(db, [decode<Run>(row.body)]))[0];
}

/** Newest first (highest queueSeq). An empty `states` list matches no run. */
export async function listRuns(db: Db, f: RunFilter): Promise<Run[]> {
  return withSpecs(db, await listRunsWithoutSpecs(db, f));
}

/** As listRuns, `spec` left out (runs written before run_specs existed may still carry theirs). */
export async function listRunsWithoutSpecs(db: Db, f: RunFilter): Promise<Run[]> {
  if (f.states?.length === 0) return [];
  if (f.service !== undefined) return runsOfService(db, { ...f, service: f.service });
  let q = db.selectFrom('runs').select('body');
  if (f.project !== undefined) q = q.where('project', '=', f.project);
  if (f.stage !== undefined) q = q.where('stage', '=', f.stage);
  if (f.releaseId !== undefined) q = q.where('release_id', '=', f.releaseId);
  if (f.states !== undefined) q = q.where('state', 'in', f.states);
  if (f.beforeSeq !== undefined) q = q.where('queue_seq', '<', f.beforeSeq);
  q = q.orderBy('queue_seq', 'desc').orderBy('id', 'desc');
  if (f.limit !== undefined) q = q.limit(f.limit);
  return bodies<Run>(await q.execute());
}

/** listRunsWithoutSpecs for one service: from run_services' index (project, stage, service, queue_seq), newest first. */
async function runsOfService(db: Db, f: RunFilter & { service: string }): Promise<Run[]> {
  let q = db.selectFrom('run_services as s').innerJoin('runs as r', 'r.id', 's.run_id').select('r.body').where('s.service', '=', f.service);
  if (f.project !== undefined) q = q.where('s.project', '=', f.project);
  if (f.stage !== undefined) q = q.where('s.stage', '=', f.stage);
  if (f.releaseId !== undefined) q = q.where('r.release_id', '=', f.releaseId);
  if (f.states !== undefined) q = q.where('r.state', 'in', f.states);
  if (f.beforeSeq !== undefined) q = q.where('s.queue_seq', '<', f.beforeSeq);
  q = q.orderBy('s.queue_seq', 'desc').orderBy('s.run_id', 'desc');
  if (f.limit !== undefined) q = q.limit(f.limit);
  return bodies<Run>(await q.execute());
}

export async function getRelease(db: Db, id: string): Promise<Release | undefined> {
  const row = await db.selectFrom('releases').select('body').where('id', '=', id).executeTakeFirst();
  return row && decode<Release>(row.body);
}

export async function stagePasses(db: Db, releaseId: string): Promise<StagePass[]> {
  const rows = await db
    .selectFrom('stage_passes')
    .select('body')
    .where('release_id', '=', releaseId)
    .orderBy('at')
    .orderBy('stage')
    .orderBy('sequence')
    .execute();
  return bodies<StagePass>(rows);
}

export async function artifactPasses(db: Db, project: string, service: string, artifact: string): Promise<ArtifactPass[]> {
  const rows = await db
    .selectFrom('artifact_passes')
    .select('body')
    .where('project', '=', project)
    .where('service', '=', service)
    .where('artifact', '=', artifact)
    .orderBy('at')
    .orderBy('stage')
    .execute();
  return bodies<ArtifactPass>(rows);
}

export async function live(db: Db, project?: string): Promise<LiveEntry[]> {
  let q = db.selectFrom('live').select('body');
  if (project !== undefined) q = q.where('project', '=', project);
  return bodies<LiveEntry>(await q.orderBy('project').orderBy('stage').orderBy('service').execute());
}

export async function outbox(db: Db): Promise<OutboxRow[]> {
  return bodies<OutboxRow>(await db.selectFrom('outbox').select('body').orderBy('created_at').orderBy('id').execute());
}

export async function dueTimers(db: Db, dueBy: number, limit: number): Promise<Timer[]> {
  const rows = await db.selectFrom('timers').select('body').where('due_at', '<=', dueBy).orderBy('due_at').orderBy('id').limit(limit).execute();
  return bodies<Timer>(rows);
}

export async function nextTimerDue(db: Db): Promise<number | undefined> {
  const row = await db.selectFrom('timers').select(sql<number | string | null>`min(due_at)`.as('min')).executeTakeFirst();
  return row?.min == null ? undefined : Number(row.min);
}

/** In log order. An empty `types` list matches no event. */
export async function events(db: Db, f: EventFilter): Promise<StoredEvent[]> {
  if (f.types?.length === 0) return [];
  let q = db.selectFrom('events').select(['seq', 'body']);
  if (f.project !== undefined) q = q.where('project', '=', f.project);
  if (f.runId !== undefined) q = q.where('run_id', '=', f.runId);
  if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
  if (f.types !== undefined) q = q.where('type', 'in', f.types);
  if (f.sinceMs !== undefined) q = q.where('time_ms', '>=', f.sinceMs);
  q = q.orderBy('seq', f.newest ? 'desc' : 'asc');
  if (f.limit !== undefined) q = q.limit(f.limit);
  const rows = (await q.execute()).map((r): StoredEvent => ({ seq: Number(r.seq), event: knownEventJson(decode(r.body), r.body) }));
  return f.newest ? rows.reverse() : rows;
}

export async function lastEventSeq(db: Db): Promise<number> {
  const row = await db.selectFrom('events').select(sql<number | string | null>`max(seq)`.as('max')).executeTakeFirst();
  return Number(row?.max ?? 0);
}
