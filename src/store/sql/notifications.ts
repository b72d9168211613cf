/** The notification queue and its cursors (see migration 0009). */
import type { Kysely } from 'kysely';
import type { NotificationFilter, NotificationRow } from '../port.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

const bodyOf = (r: NotificationRow): string => {
  const { seq: _seq, ...rest } = r;
  return JSON.stringify(rest);
};
const fromRow = (r: { seq: number | string; body: string }): NotificationRow => ({ ...decode<NotificationRow>(r.body), seq: Number(r.seq) });

export async function notifyCursor(db: Db, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('notify_cursors').select('value').where('name', '=', name).executeTakeFirst();
  return row ? Number(row.value) : undefined;
}

export async function enqueueNotifications(db: Db, rows: readonly NotificationRow[], cursors: readonly { name: string; value: number }[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let added = 0;
    for (const r of rows) {
      const res = await trx
        .insertInto('notifications')
        .values({ id: r.id, project: r.project, sink: r.sink, state: r.state, next_at: r.nextAt, body: bodyOf(r) })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      added += Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    for (const c of cursors) {
      await trx
        .insertInto('notify_cursors')
        .values({ name: c.name, value: c.value })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: c.value }))
        .execute();
    }
    return added;
  });
}

export async function updateNotification(db: Db, r: NotificationRow): Promise<void> {
  await db.updateTable('notifications').set({ state: r.state, next_at: r.nextAt, body: bodyOf(r) }).where('id', '=', r.id).execute();
}

export async function notifications(db: Db, f: NotificationFilter): Promise<NotificationRow[]> {
  let q = db.selectFrom('notifications').select(['seq', 'body']);
  if (f.project !== undefined) q = q.where('project', '=', f.project);
  if (f.sink !== undefined) q = q.where('sink', '=', f.sink);
  if (f.states && f.states.length > 0) q = q.where('state', 'in', f.states);
  const rows = await q.orderBy('seq', f.newest ? 'desc' : 'asc').limit(f.limit).execute();
  return rows.map(fromRow);
}

export async function pruneNotifications(db: Db, before: number): Promise<number> {
  // A settled row's next_at is when it settled (delivered or given up).
  const r = await db.deleteFrom('notifications').where('state', 'in', ['delivered', 'dead']).where('next_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function notificationCounts(db: Db): Promise<{ project: string; sink: string; state: NotificationRow['state']; count: number }[]> {
  const rows = await db
    .selectFrom('notifications')
    .select(['project', 'sink', 'state', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy(['project', 'sink', 'state'])
    .execute();
  return rows.map((r) => ({ project: r.project, sink: r.sink, state: r.state as NotificationRow['state'], count: Number(r.n) }));
}
