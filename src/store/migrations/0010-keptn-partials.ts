/**
 * Keptn's answers for a task of several services (one Keptn `.finished` per service) arrive
 * one by one; each is kept here until the last one ends the task, so a restart between two
 * services' answers loses none (src/keptn/executor-api.ts). One row per task and service.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function keptnPartialsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('keptn_partials')
        .ifNotExists()
        .addColumn('task_id', t.text, (c) => c.notNull())
        .addColumn('service', t.text, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('keptn_partials_pk', ['task_id', 'service'])
        .execute();
    },
  };
}
