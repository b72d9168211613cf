/**
 * Pipeline versions. The version is a content hash, so saving the same (project, version)
 * again stores the same source; its `createdAt` moves forward, which is what makes going
 * back to an earlier pipeline the latest one again.
 */
import { sql, type Kysely } from 'kysely';
import type { PipelineVersionRow } from '../port.js';
import { insertRows, type TableWrite } from './bulk.js';
import { decode, pipelineVersionRow } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
const pipelineVersions: TableWrite<'pipeline_versions'> = { table: 'pipeline_versions', key: ['project', 'version'], onConflict: 'replace' };

export async function savePipelineVersion(db: Db, row: PipelineVersionRow, maxParameters: number): Promise<void> {
  await insertRows(db, pipelineVersions, [pipelineVersionRow(row)], maxParameters);
}

/** Per project, the version with the latest createdAt (ties: the greater version string). */
export async function latestPipelines(db: Db, project?: string): Promise<PipelineVersionRow[]> {
  let ranked = db
    .selectFrom('pipeline_versions')
    .select([
      'project',
      'body',
      sql<number>`row_number() over (partition by project order by created_at desc, version desc)`.as('rank'),
    ]);
  if (project !== undefined) ranked = ranked.where('project', '=', project);
  const rows = await db
    .selectFrom(ranked.as('ranked'))
    .select('body')
    .where('rank', '=', 1)
    .orderBy('project')
    .execute();
  return rows.map((r) => decode<PipelineVersionRow>(r.body));
}

export async function getPipelineVersion(db: Db, project: string, version: string): Promise<PipelineVersionRow | undefined> {
  const row = await db
    .selectFrom('pipeline_versions')
    .select('body')
    .where('project', '=', project)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && decode<PipelineVersionRow>(row.body);
}
