/**
 * Access to the server: API tokens (stored as a sha256 of the token, never the token) and
 * push subscriptions of outside executors. Same shape as the first schema: a JSON `body`
 * plus the columns that lookups and uniqueness need; `if not exists` keeps a re-run safe.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function accessSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;

      await s
        .createTable('tokens')
        .ifNotExists()
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('name', t.text, (c) => c.notNull().unique())
        .addColumn('hash', t.text, (c) => c.notNull().unique())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();

      await s
        .createTable('subscriptions')
        .ifNotExists()
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('kind', t.text, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('subscriptions_kind').ifNotExists().on('subscriptions').column('kind').execute();
    },
  };
}
