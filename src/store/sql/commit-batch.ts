/**
 * Writes one CommitBatch: rows are encoded before the transaction opens (a bad value fails
 * without touching the database), then written in the port's field order.
 */
import type { Kysely } from 'kysely';
import type { CommitBatch } from '../port.js';
import { deleteWhereIn, insertRows, type TableWrite } from './bulk.js';
import * as rows from './rows.js';
import { flagRow } from './flags.js';
import type { Database } from './schema.js';

const events: TableWrite<'events'> = { table: 'events', key: ['id'], onConflict: 'fail' };
/** A release id is a hash of its content: the same id is the same release, kept as first written. */
const releases: TableWrite<'releases'> = { table: 'releases', key: ['id'], onConflict: 'ignore' };
const runs: TableWrite<'runs'> = { table: 'runs', key: ['id'], onConflict: 'replace' };
/** A run's spec never changes: written once. */
const runSpecs: TableWrite<'run_specs'> = { table: 'run_specs', key: ['run_id'], onConflict: 'ignore' };
/** A run's services never change: written once, with its spec. */
const runServices: TableWrite<'run_services'> = { table: 'run_services', key: ['run_id', 'service'], onConflict: 'ignore' };
const stagePasses: TableWrite<'stage_passes'> = { table: 'stage_passes', key: ['release_id', 'stage', 'sequence'], onConflict: 'replace' };
const artifactPasses: TableWrite<'artifact_passes'> = {
  table: 'artifact_passes',
  key: ['project', 'service', 'artifact', 'stage'],
  onConflict: 'replace',
};
const live: TableWrite<'live'> = { table: 'live', key: ['project', 'stage', 'service'], onConflict: 'replace' };
const outbox: TableWrite<'outbox'> = { table: 'outbox', key: ['id'], onConflict: 'replace' };
const timers: TableWrite<'timers'> = { table: 'timers', key: ['id'], onConflict: 'replace' };
const flags: TableWrite<'flags'> = { table: 'flags', key: ['project', 'stage', 'flag'], onConflict: 'replace' };

export type EncodedBatch = ReturnType<typeof encodeBatch>;

export function isEmptyBatch(b: CommitBatch): boolean {
  return Object.values(b).every((list: readonly unknown[] | undefined) => (list?.length ?? 0) === 0);
}

/** `specWritten`: whether this run's spec object was already written (the store remembers); its services go with it. */
export function encodeBatch(b: CommitBatch, specWritten: (r: CommitBatch['runs'][number]) => boolean = () => false) {
  const firstWrites = b.runs.filter((r) => !specWritten(r));
  return {
    events: b.events.map(rows.eventRow),
    releases: b.releases.map(rows.releaseRow),
    runs: b.runs.map(rows.runRow),
    runSpecs: firstWrites.map(rows.runSpecRow),
    runServices: firstWrites.flatMap(rows.runServiceRows),
    stagePasses: b.stagePasses.map(rows.stagePassRow),
    artifactPasses: b.artifactPasses.map(rows.artifactPassRow),
    live: b.live.map(rows.liveRow),
    outboxSettle: b.outboxSettle,
    outboxPut: b.outboxPut.map(rows.outboxRow),
    timersPut: b.timersPut.map(rows.timerRow),
    timersDelete: b.timersDelete,
    flags: (b.flags ?? []).map(flagRow),
  };
}

/** Call inside a transaction. */
export async function writeBatch(trx: Kysely<Database>, b: EncodedBatch, maxParameters: number): Promise<void> {
  await insertRows(trx, events, b.events, maxParameters);
  await insertRows(trx, releases, b.releases, maxParameters);
  await insertRows(trx, runs, b.runs, maxParameters);
  await insertRows(trx, runSpecs, b.runSpecs, maxParameters);
  await insertRows(trx, runServices, b.runServices, maxParameters);
  await insertRows(trx, stagePasses, b.stagePasses, maxParameters);
  await insertRows(trx, artifactPasses, b.artifactPasses, maxParameters);
  await insertRows(trx, live, b.live, maxParameters);
  // Settle before put: a task settled and resumed in one batch keeps its new row.
  await deleteWhereIn(trx, 'outbox', 'task_id', b.outboxSettle, maxParameters);
  await insertRows(trx, outbox, b.outboxPut, maxParameters);
  await insertRows(trx, timers, b.timersPut, maxParameters);
  await deleteWhereIn(trx, 'timers', 'id', b.timersDelete, maxParameters);
  await insertRows(trx, flags, b.flags, maxParameters);
}
