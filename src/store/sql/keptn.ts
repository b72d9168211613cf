/** Keptn's per-service answers of a task still waiting for other services (see port.ts KeptnPartialRow). */
import type { Kysely } from 'kysely';
import type { KeptnPartialRow } from '../port.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

export async function putKeptnPartial(db: Db, p: KeptnPartialRow): Promise<void> {
  const body = JSON.stringify(p);
  await db
    .insertInto('keptn_partials')
    .values({ task_id: p.taskId, service: p.service, body })
    .onConflict((oc) => oc.columns(['task_id', 'service']).doUpdateSet({ body }))
    .execute();
}

export async function keptnPartials(db: Db, taskId: string): Promise<KeptnPartialRow[]> {
  const rows = await db.selectFrom('keptn_partials').select('body').where('task_id', '=', taskId).orderBy('service').execute();
  return rows.map((r) => decode<KeptnPartialRow>(r.body));
}

export async function deleteKeptnPartials(db: Db, taskId: string): Promise<void> {
  await db.deleteFrom('keptn_partials').where('task_id', '=', taskId).execute();
}
