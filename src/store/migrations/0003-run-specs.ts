/**
 * A run's sequence definition is written once, beside the run, instead of inside every
 * rewrite of the run's row: the engine rewrites a run on each transition, and the spec is
 * the larger, unchanging half of it. Runs written before keep their spec in their body.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

export function runSpecsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('run_specs')
        .ifNotExists()
        .addColumn('run_id', t.text, (c) => c.primaryKey())
        .addColumn('body', t.json, (c) => c.notNull())
        .execute();
    },
  };
}
