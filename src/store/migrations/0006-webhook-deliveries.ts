/**
 * Webhook deliveries and what the git watcher has seen. A delivery is keyed by project,
 * source (artifact, github, gitlab, watcher) and the sender's delivery id, so a delivery
 * sent again is recognised; the watcher keeps, per project, the repository it primed and
 * each ref's last seen commit, so a restart neither forgets nor re-releases. Same shape as
 * the other tables: a JSON `body` plus the columns lookups need; `if not exists` keeps a
 * re-run safe.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function webhookDeliveriesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await s
        .createTable('webhook_deliveries')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('source', t.text, (c) => c.notNull())
        .addColumn('id', t.text, (c) => c.notNull())
        .addColumn('received_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['project', 'source', 'id'])
        .execute();
      await s.createIndex('webhook_deliveries_project_time').ifNotExists().on('webhook_deliveries').columns(['project', 'received_at']).execute();

      await s
        .createTable('git_watch_repos')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.primaryKey())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s
        .createTable('git_watch_refs')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('ref', t.text, (c) => c.notNull())
        .addColumn('commit', t.text, (c) => c.notNull())
        .addPrimaryKeyConstraint('git_watch_refs_pk', ['project', 'ref'])
        .execute();
    },
  };
}
