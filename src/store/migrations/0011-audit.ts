/**
 * The audit log: one row per person's or token's action, each sealed with the hash of the
 * row before it (src/store/audit-chain.ts). `seq` is given by the writer (it is part of
 * what the hash covers), not generated. Rows are append-only: no code path updates or
 * deletes them, and triggers refuse both, so only someone who drops the triggers (and
 * leaves the chain to say so) can change the past.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { columnTypes as t, type SchemaOptions } from './schema-options.js';

export function auditSchema(options: SchemaOptions): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await s
        .createTable('audit')
        .ifNotExists()
        .addColumn('seq', t.ms, (c) => c.primaryKey())
        .addColumn('at_ms', t.ms, (c) => c.notNull())
        .addColumn('actor', t.text, (c) => c.notNull())
        .addColumn('action', t.text, (c) => c.notNull())
        .addColumn('project', t.text)
        .addColumn('target', t.text)
        .addColumn('details', t.json)
        .addColumn('prev_hash', t.text, (c) => c.notNull())
        .addColumn('hash', t.text, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('audit_at').ifNotExists().on('audit').column('at_ms').execute();
      await s.createIndex('audit_actor_seq').ifNotExists().on('audit').columns(['actor', 'seq']).execute();
      await s.createIndex('audit_action_seq').ifNotExists().on('audit').columns(['action', 'seq']).execute();
      await s.createIndex('audit_project_seq').ifNotExists().on('audit').columns(['project', 'seq']).execute();
      if (options.sequenceKey === 'autoincrement') {
        // SQLite's trigger grammar (the dialect with an autoincrement key).
        for (const op of ['update', 'delete']) {
          await sql
            .raw(`create trigger if not exists audit_append_only_${op} before ${op} on audit begin select raise(abort, 'audit rows are append-only: ${op} refused'); end`)
            .execute(db);
        }
      } else {
        await sql
          .raw(
            `create or replace function slipway_audit_append_only() returns trigger as $$ begin raise exception 'audit rows are append-only: % refused', lower(tg_op); end $$ language plpgsql`,
          )
          .execute(db);
        await sql.raw('drop trigger if exists audit_append_only on audit').execute(db);
        await sql.raw('create trigger audit_append_only before update or delete on audit for each row execute function slipway_audit_append_only()').execute(db);
      }
    },
  };
}
