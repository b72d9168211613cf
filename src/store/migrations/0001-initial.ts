/**
 * The first schema. Each table keeps the whole domain object as a JSON `body` and copies
 * out only the columns that queries filter or order on. `if not exists` everywhere makes
 * the migration safe to re-run where DDL is not transactional (Kysely runs SQLite
 * migrations outside a transaction), so a crash halfway through heals on the next start.
 */
import type { Kysely, Migration } from 'kysely';
import { addSequenceKey, columnTypes as t, type SchemaOptions } from './schema-options.js';

export function initialSchema(options: SchemaOptions): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;

      await addSequenceKey(s.createTable('events').ifNotExists(), 'seq', options)
        .addColumn('id', t.text, (c) => c.notNull().unique())
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('type', t.text, (c) => c.notNull())
        .addColumn('run_id', t.text)
        .addColumn('time_ms', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('events_project_seq').ifNotExists().on('events').columns(['project', 'seq']).execute();
      await s.createIndex('events_run_id_seq').ifNotExists().on('events').columns(['run_id', 'seq']).execute();

      await s
        .createTable('releases')
        .ifNotExists()
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();

      await s
        .createTable('runs')
        .ifNotExists()
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('stage', t.text, (c) => c.notNull())
        .addColumn('sequence', t.text, (c) => c.notNull())
        .addColumn('release_id', t.text, (c) => c.notNull())
        .addColumn('state', t.text, (c) => c.notNull())
        .addColumn('queue_seq', t.ms, (c) => c.notNull())
        .addColumn('queued_at', t.ms, (c) => c.notNull())
        .addColumn('finished_at', t.ms)
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('runs_state').ifNotExists().on('runs').column('state').execute();
      await s.createIndex('runs_project_queue_seq').ifNotExists().on('runs').columns(['project', 'queue_seq']).execute();
      await s.createIndex('runs_release_id').ifNotExists().on('runs').column('release_id').execute();

      await s
        .createTable('stage_passes')
        .ifNotExists()
        .addColumn('release_id', t.text, (c) => c.notNull())
        .addColumn('stage', t.text, (c) => c.notNull())
        .addColumn('sequence', t.text, (c) => c.notNull())
        .addColumn('at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('stage_passes_pk', ['release_id', 'stage', 'sequence'])
        .execute();

      await s
        .createTable('artifact_passes')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('service', t.text, (c) => c.notNull())
        .addColumn('artifact', t.text, (c) => c.notNull())
        .addColumn('stage', t.text, (c) => c.notNull())
        .addColumn('at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('artifact_passes_pk', ['project', 'service', 'artifact', 'stage'])
        .execute();

      await s
        .createTable('live')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('stage', t.text, (c) => c.notNull())
        .addColumn('service', t.text, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('live_pk', ['project', 'stage', 'service'])
        .execute();

      await s
        .createTable('outbox')
        .ifNotExists()
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('task_id', t.text, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('outbox_task_id').ifNotExists().on('outbox').column('task_id').execute();

      await s
        .createTable('timers')
        .ifNotExists()
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('due_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('timers_due_at').ifNotExists().on('timers').column('due_at').execute();

      await s
        .createTable('pipeline_versions')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('version', t.text, (c) => c.notNull())
        .addColumn('created_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('pipeline_versions_pk', ['project', 'version'])
        .execute();
    },
  };
}
