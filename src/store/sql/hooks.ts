/** Webhook deliveries and the git watcher's seen refs (migration 0006); which inputs the event log holds. */
import type { Kysely } from 'kysely';
import type { SlipwayEvent } from '../../core/index.js';
import type { DeliveryFilter, DeliveryRow, WatchRepoRow } from '../port.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

const deliveryRow = (d: DeliveryRow) => ({ project: d.project, source: d.source, id: d.id, received_at: d.receivedAt, body: JSON.stringify(d) });

export async function addDelivery(db: Db, d: DeliveryRow): Promise<boolean> {
  const r = await db
    .insertInto('webhook_deliveries')
    .values(deliveryRow(d))
    .onConflict((oc) => oc.columns(['project', 'source', 'id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function putDelivery(db: Db, d: DeliveryRow): Promise<void> {
  const row = deliveryRow(d);
  await db
    .insertInto('webhook_deliveries')
    .values(row)
    .onConflict((oc) => oc.columns(['project', 'source', 'id']).doUpdateSet({ body: row.body }))
    .execute();
}

export async function getDelivery(db: Db, project: string, source: string, id: string): Promise<DeliveryRow | undefined> {
  const row = await db.selectFrom('webhook_deliveries').select('body').where('project', '=', project).where('source', '=', source).where('id', '=', id).executeTakeFirst();
  return row && decode<DeliveryRow>(row.body);
}

export async function listDeliveries(db: Db, f: DeliveryFilter): Promise<DeliveryRow[]> {
  let q = db.selectFrom('webhook_deliveries').select('body');
  if (f.project !== undefined) q = q.where('project', '=', f.project);
  if (f.source !== undefined) q = q.where('source', '=', f.source);
  const rows = await q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map((r) => decode<DeliveryRow>(r.body));
}

/** Event ids are `<inputId>.<n>`: a range on the unique id index finds them ('/' follows '.'). */
export async function eventsOfInput(db: Db, inputId: string): Promise<SlipwayEvent[]> {
  const rows = await db.selectFrom('events').select('body').where('id', '>', `${inputId}.`).where('id', '<', `${inputId}/`).orderBy('seq').execute();
  return rows.map((r) => decode<SlipwayEvent>(r.body));
}

/** Ids looked up per statement: a batch of the engine (512 at most by default) takes one. */
const APPLIED_CHUNK = 1024;

/**
 * Of these input ids, those whose first event (`<inputId>.0`) is in the log. Each statement's
 * list is padded to a power of two (repeating its last id), so a handful of statement texts
 * serve every batch size: SQLite keeps prepared statements by text (sqlite/statements.ts).
 */
export async function appliedInputs(db: Db, inputIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const ids = [...new Set(inputIds)];
  for (let i = 0; i < ids.length; i += APPLIED_CHUNK) {
    const chunk = ids.slice(i, i + APPLIED_CHUNK).map((id) => `${id}.0`);
    const padded = chunk.concat(Array<string>(2 ** Math.ceil(Math.log2(chunk.length)) - chunk.length).fill(chunk.at(-1)!));
    const rows = await db.selectFrom('events').select('id').where('id', 'in', padded).execute();
    for (const r of rows) found.add(r.id.slice(0, -'.0'.length));
  }
  return found;
}

export async function getWatchRepo(db: Db, project: string): Promise<WatchRepoRow | undefined> {
  const row = await db.selectFrom('git_watch_repos').select('body').where('project', '=', project).executeTakeFirst();
  return row && decode<WatchRepoRow>(row.body);
}

export async function primeWatchRepo(db: Db, repo: WatchRepoRow, refs: Readonly<Record<string, string>>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const body = JSON.stringify(repo);
    await trx.insertInto('git_watch_repos').values({ project: repo.project, body }).onConflict((oc) => oc.column('project').doUpdateSet({ body })).execute();
    await trx.deleteFrom('git_watch_refs').where('project', '=', repo.project).execute();
    const rows = Object.entries(refs).map(([ref, commit]) => ({ project: repo.project, ref, commit }));
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto('git_watch_refs').values(rows.slice(i, i + 500)).execute();
  });
}

export async function watchRefs(db: Db, project: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('git_watch_refs').select(['ref', 'commit']).where('project', '=', project).execute();
  return Object.fromEntries(rows.map((r) => [r.ref, r.commit]));
}

export async function putWatchRefs(db: Db, project: string, refs: Readonly<Record<string, string | null>>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [ref, commit] of Object.entries(refs)) {
      if (commit === null) await trx.deleteFrom('git_watch_refs').where('project', '=', project).where('ref', '=', ref).execute();
      else await trx.insertInto('git_watch_refs').values({ project, ref, commit }).onConflict((oc) => oc.columns(['project', 'ref']).doUpdateSet({ commit })).execute();
    }
  });
}
