/** Idempotency keys (migration 0016): claimed by a request, settled with its answer, pruned when expired. */
import type { Kysely } from 'kysely';
import type { IdempotencyRow, IdempotentAnswer } from '../port.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  state: string;
  expires_at: number | string;
  body: string;
}

type Db = Kysely<Database>;

const toRow = (r: IdempotencyRow) => ({ principal: r.principal, key: r.key, state: r.answer ? 'done' : 'pending', expires_at: r.expiresAt, body: JSON.stringify(r) });

/** One transaction: an expired holder is removed, then the insert either takes the key or finds its holder. */
export async function claimIdempotencyKey(db: Db, row: IdempotencyRow): Promise<IdempotencyRow | undefined> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('idempotency_keys').where('principal', '=', row.principal).where('key', '=', row.key).where('expires_at', '<=', row.createdAt).execute();
    const r = await trx
      .insertInto('idempotency_keys')
      .values(toRow(row))
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) return undefined;
    const held = await one(trx, row.key, row.principal);
    // Released between our insert and this read: report it in flight, and the caller tries again.
    return held ?? { ...row };
  });
}

export async function settleIdempotencyKey(db: Db, key: string, principal: string, answer: IdempotentAnswer, expiresAt: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const held = await one(trx, key, principal);
    if (!held || held.answer) return;
    const done = toRow({ ...held, answer, expiresAt });
    await trx.updateTable('idempotency_keys').set({ state: done.state, expires_at: done.expires_at, body: done.body }).where('principal', '=', principal).where('key', '=', key).execute();
  });
}

export async function releaseIdempotencyKey(db: Db, key: string, principal: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('principal', '=', principal).where('key', '=', key).where('state', '=', 'pending').execute();
}

export function idempotencyKey(db: Db, key: string, principal: string): Promise<IdempotencyRow | undefined> {
  return one(db, key, principal);
}

export async function pruneIdempotencyKeys(db: Db, now: number, pendingToo = false): Promise<number> {
  const r = await db
    .deleteFrom('idempotency_keys')
    .where((eb) => (pendingToo ? eb.or([eb('expires_at', '<=', now), eb('state', '=', 'pending')]) : eb('expires_at', '<=', now)))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

async function one(db: Db, key: string, principal: string): Promise<IdempotencyRow | undefined> {
  const r = await db.selectFrom('idempotency_keys').select('body').where('principal', '=', principal).where('key', '=', key).executeTakeFirst();
  return r && decode<IdempotencyRow>(r.body);
}
