/**
 * Tokens and push subscriptions. Inserts never overwrite: a taken id, name or hash makes
 * `add*` answer false (`on conflict do nothing`, the same statement on every dialect), so
 * callers learn about a clash without catching driver-specific errors.
 */
import type { Kysely } from 'kysely';
import type { SubscriptionRow, TokenRow } from '../port.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
const json = (value: unknown): string => JSON.stringify(value);

export async function addToken(db: Db, t: TokenRow): Promise<boolean> {
  const r = await db
    .insertInto('tokens')
    .values({ id: t.id, name: t.name, hash: t.hash, created_at: t.createdAt, body: json(t) })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function tokenByHash(db: Db, hash: string): Promise<TokenRow | undefined> {
  const row = await db.selectFrom('tokens').select('body').where('hash', '=', hash).executeTakeFirst();
  return row && decode<TokenRow>(row.body);
}

export async function listTokens(db: Db): Promise<TokenRow[]> {
  const rows = await db.selectFrom('tokens').select('body').orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => decode<TokenRow>(r.body));
}

export async function deleteToken(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function addSubscription(db: Db, s: SubscriptionRow): Promise<boolean> {
  const r = await db
    .insertInto('subscriptions')
    .values({ id: s.id, kind: s.kind, created_at: s.createdAt, body: json(s) })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function listSubscriptions(db: Db): Promise<SubscriptionRow[]> {
  const rows = await db.selectFrom('subscriptions').select('body').orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => decode<SubscriptionRow>(r.body));
}

export async function deleteSubscription(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
