/**
 * Feature flag states (src/core/flags.ts): one row per project × stage × flag, the body the
 * whole FlagState as JSON (its rollout, who set it, and the rollout each recent release had
 * there, for rollbacks). Written by the engine's commits with the flag.changed events that
 * explain each change; read whole at start (a handful of rows per project).
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function flagsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('flags')
        .ifNotExists()
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('stage', t.text, (c) => c.notNull())
        .addColumn('flag', t.text, (c) => c.notNull())
        .addColumn('at', t.ms, (c) => c.notNull())
        .addColumn('body', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('flags_pk', ['project', 'stage', 'flag'])
        .execute();
    },
  };
}
