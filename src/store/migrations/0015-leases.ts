/**
 * Leases between replicas of one server (docs/operating.md, Replicas): the row `engine` says
 * which replica may decide and commit, until when, and under which epoch. Times are the
 * database's clock in UTC ms, so the replicas' own clocks never matter. SQLite servers never
 * write it (one process holds the data directory).
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function leasesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('leases')
        .ifNotExists()
        .addColumn('name', t.text, (c) => c.primaryKey())
        .addColumn('holder', t.text, (c) => c.notNull())
        // Where the holder answers HTTP: standbys forward requests there.
        .addColumn('url', t.text, (c) => c.notNull())
        // +1 on every new holding: a commit fenced on an old epoch is refused.
        .addColumn('epoch', t.ms, (c) => c.notNull())
        // 0 once released: a standby may take it at once.
        .addColumn('expires_at', t.ms, (c) => c.notNull())
        .addColumn('acquired_at', t.ms, (c) => c.notNull())
        .execute();
    },
  };
}
