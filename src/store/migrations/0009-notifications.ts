/**
 * Notification deliveries (src/notify): one row per notice and sink, the durable queue the
 * deliverer works through, and named cursors (how far the event log and each project's freeze
 * calendar were turned into rows). `seq` orders a sink's rows, so receivers hear them in the
 * order they happened; `id` is the delivery id receivers dedupe on, unique so that reading
 * the same events twice adds nothing.
 */
import type { Kysely, Migration } from 'kysely';
import { addSequenceKey, columnTypes as t, type SchemaOptions } from './schema-options.js';

export function notificationsSchema(options: SchemaOptions): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await addSequenceKey(s.createTable('notifications').ifNotExists(), 'seq', options)
        .addColumn('id', t.text, (c) => c.notNull().unique())
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('sink', t.text, (c) => c.notNull())
        .addColumn('state', t.text, (c) => c.notNull())
        .addColumn('next_at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
      await s.createIndex('notifications_state').ifNotExists().on('notifications').columns(['state', 'seq']).execute();
      await s.createIndex('notifications_sink').ifNotExists().on('notifications').columns(['project', 'sink', 'state']).execute();
      await s
        .createTable('notify_cursors')
        .ifNotExists()
        .addColumn('name', t.text, (c) => c.primaryKey())
        .addColumn('value', t.ms, (c) => c.notNull())
        .execute();
    },
  };
}
