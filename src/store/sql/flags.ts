/** Feature flag states: written by commits (commit-batch.ts), read whole at start and by the API. */
import type { Insertable, Kysely } from 'kysely';
import type { FlagState } from '../../core/index.js';
import { decode } from './rows.js';
import type { Database } from './schema.js';

export interface FlagsTable {
  project: string;
  stage: string;
  flag: string;
  at: number | string;
  body: string;
}

export function flagRow(f: FlagState): Insertable<FlagsTable> {
  return { project: f.project, stage: f.stage, flag: f.flag, at: f.at, body: JSON.stringify(f) };
}

/** Every flag state (or one project's), by project, stage and flag. */
export async function flagStates(db: Kysely<Database>, project?: string): Promise<FlagState[]> {
  let q = db.selectFrom('flags').select('body').orderBy('project').orderBy('stage').orderBy('flag');
  if (project !== undefined) q = q.where('project', '=', project);
  return (await q.execute()).map((r) => decode<FlagState>(r.body));
}
