/**
 * Secrets set through the API (`slipway secret set`): one row per name, the value sealed
 * by the secrets module before it reaches the store, so no column or body holds it in
 * plain text. `if not exists` keeps a re-run safe.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function secretsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('secrets')
        .ifNotExists()
        .addColumn('name', t.text, (c) => c.primaryKey())
        .addColumn('updated_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
    },
  };
}
