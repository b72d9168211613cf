/**
 * The delivery insights read a project's runs by the time they ended (every stage for the
 * cycle time, one for the DORA figures): (project, finished_at) keeps that a range scan on
 * a long history. finished_at is written once per run, so the engine's run updates rarely
 * touch the index.
 */
import type { Kysely, Migration } from 'kysely';

export function insightsIndexes(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('runs_project_finished').ifNotExists().on('runs').columns(['project', 'finished_at']).execute();
    },
  };
}
