/**
 * Idempotency keys (docs/api.md, "Idempotency"): one row per key and caller (the token's id),
 * holding the request's fingerprint and, once it was answered, the answer to replay. `state` is
 * `pending` while the first request runs and `done` after; `expires_at` is when the row may be
 * pruned (24 h after the answer; for a pending row, when its request is given up for lost). The
 * body is the whole row as JSON.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function idempotencySchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('idempotency_keys')
        .ifNotExists()
        .addColumn('principal', t.text, (c) => c.notNull())
        .addColumn('key', t.text, (c) => c.notNull())
        .addColumn('state', t.text, (c) => c.notNull())
        .addColumn('expires_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expiry').ifNotExists().on('idempotency_keys').column('expires_at').execute();
    },
  };
}
