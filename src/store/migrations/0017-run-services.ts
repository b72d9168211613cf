/**
 * Which services each run's release holds, one row per run and service, written once beside
 * the run (the services of a run never change). It answers "the newest runs of this stage for
 * this service" from an index, for the evaluation history (Keptn's comparison with a service's
 * earlier results): before, the history read the stage's newest 100 runs and kept those of the
 * service, which in a stage of 50 services found about two, and decoded 100 runs per evaluation.
 * Runs written before are filled in here, a page at a time.
 */
import type { Kysely, Migration } from 'kysely';
import { columnTypes as t } from './schema-options.js';

const PAGE = 1000;

interface Tables {
  runs: { id: string; project: string; stage: string; queue_seq: number | string; body: string };
  run_services: { run_id: string; service: string; project: string; stage: string; queue_seq: number | string };
}

export function runServicesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('run_services')
        .ifNotExists()
        .addColumn('run_id', t.text, (c) => c.notNull())
        .addColumn('service', t.text, (c) => c.notNull())
        .addColumn('project', t.text, (c) => c.notNull())
        .addColumn('stage', t.text, (c) => c.notNull())
        .addColumn('queue_seq', t.ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_services_pk', ['run_id', 'service'])
        .execute();
      await db.schema.createIndex('run_services_newest').ifNotExists().on('run_services').columns(['project', 'stage', 'service', 'queue_seq']).execute();
      const d = db as unknown as Kysely<Tables>;
      for (let after = ''; ; ) {
        const page = await d.selectFrom('runs').select(['id', 'project', 'stage', 'queue_seq', 'body']).where('id', '>', after).orderBy('id').limit(PAGE).execute();
        const rows = page.flatMap((r) => servicesOf(r.body).map((service) => ({ run_id: r.id, service, project: r.project, stage: r.stage, queue_seq: r.queue_seq })));
        // 5 parameters a row: 100 rows stay under every dialect's limit.
        for (let i = 0; i < rows.length; i += 100) {
          await d.insertInto('run_services').values(rows.slice(i, i + 100)).onConflict((oc) => oc.columns(['run_id', 'service']).doNothing()).execute();
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.id;
      }
    },
  };
}

function servicesOf(body: string): string[] {
  const services = (JSON.parse(body) as { services?: unknown }).services;
  return Array.isArray(services) ? [...new Set(services.filter((s): s is string => typeof s === 'string'))] : [];
}
