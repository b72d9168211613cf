/**
 * The delivery insights read a project's runs by the time they ended, every stage for the
 * cycle time: `runs_insights` covers that read (stage, state and release in the index), so
 * a long history is scanned without opening run rows. finished_at is set once per run, so
 * the engine's frequent run updates rarely move an entry. `releases_project_created` finds
 * a project's releases (for their commit times) without scanning every project's.
 */
import type { Kysely, Migration } from 'kysely';

export function insightsIndexes(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('runs_insights').ifNotExists().on('runs').columns(['project', 'finished_at', 'stage', 'state', 'release_id']).execute();
      await db.schema.createIndex('releases_project_created').ifNotExists().on('releases').columns(['project', 'created_at']).execute();
    },
  };
}
