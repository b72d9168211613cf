/** Sealed secrets by name. Put is an upsert: setting a secret again replaces its value. */
import type { Kysely } from 'kysely';
import type { SecretRow } from '../port.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

export async function putSecret(db: Db, s: SecretRow): Promise<void> {
  const body = JSON.stringify(s);
  await db
    .insertInto('secrets')
    .values({ name: s.name, updated_at: s.updatedAt, body })
    .onConflict((oc) => oc.column('name').doUpdateSet({ updated_at: s.updatedAt, body }))
    .execute();
}

export async function getSecret(db: Db, name: string): Promise<SecretRow | undefined> {
  const row = await db.selectFrom('secrets').select('body').where('name', '=', name).executeTakeFirst();
  return row && decode<SecretRow>(row.body);
}

export async function listSecrets(db: Db): Promise<SecretRow[]> {
  const rows = await db.selectFrom('secrets').select('body').orderBy('name').execute();
  return rows.map((r) => decode<SecretRow>(r.body));
}

export async function deleteSecret(db: Db, name: string): Promise<boolean> {
  const r = await db.deleteFrom('secrets').where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
