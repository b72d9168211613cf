/**
 * Expand/contract database changes (Continuous Delivery ch. 12, Refactoring Databases):
 * a release's `migrate` task with `phase: expand` runs before its deploy and leaves the
 * schema usable by the version serving now; its `contract` runs later, as a run of its
 * own, once nothing in the stage can still need the old schema. What ran where is
 * recorded by `schema.changed` events (folded into `state.schemas`, and back at start like
 * schedules), so the core can refuse a rollback to a release older than a contract.
 */
import { SlipwayError } from './errors.js';
import type { SlipwayEvent } from './events.js';
import { EVENT_PREFIX } from './events.js';
import type { Run, TaskRun } from './model.js';
import type { CoreState } from './state.js';
import { stageKey } from './state.js';
import type { Tx } from './tx.js';

export const SCHEMA_CHANGED = `${EVENT_PREFIX}schema.changed`;
/** Folded back into the state at start (the engine's recovery reads them with the automation events). */
export const SCHEMA_EVENT_TYPES: readonly string[] = [SCHEMA_CHANGED];

export const MIGRATE_KIND = 'migrate';
export type SchemaPhase = 'expand' | 'contract';

/** The `migration` an executor of kind `migrate` reports in its output. */
export interface MigrationOutput {
  phase: SchemaPhase;
  service: string;
  /** Ledger id in the target database: one per project, stage, service, release and phase. */
  id: string;
  /** False when the ledger showed it applied already (a re-run after a crash, a rollback run). */
  applied: boolean;
  /** The target database's schema version after it (its ledger's row count). */
  schemaVersion?: number;
  /** `none`: the release carries no migration for this phase. */
  source?: string;
}

/** The `data` of `schema.changed`. `properties` hold references only (`${secret:…}`), never values. */
export interface SchemaChangedData extends MigrationOutput {
  stage: string;
  releaseId: string;
  runId: string;
  task: string;
  /** The expand task's properties: what the contract run runs with. */
  properties: Readonly<Record<string, unknown>>;
}

/** One migration that ran (or was found applied) in a stage. */
export interface SchemaChange extends SchemaChangedData {
  project: string;
  at: number;
}

/** By `project\0stage`: the schema changes recorded there, oldest first. */
export type SchemaLedger = Map<string, SchemaChange[]>;

/** The ledger lives on the state as a side table, so states made before it existed still work. */
export function schemaLedger(state: CoreState): SchemaLedger {
  const s = state as CoreState & { schemas?: SchemaLedger };
  return (s.schemas ??= new Map());
}

export function stageChanges(state: CoreState, project: string, stage: string): readonly SchemaChange[] {
  return schemaLedger(state).get(stageKey(project, stage)) ?? [];
}

export function evolveSchema(state: CoreState, ev: SlipwayEvent): void {
  const d = ev.data as unknown as SchemaChangedData;
  const key = stageKey(ev.project, d.stage);
  const list = schemaLedger(state).get(key) ?? [];
  // A re-run found applied adds nothing new: the first record keeps its time.
  if (list.some((c) => c.id === d.id)) return;
  list.push({ ...d, project: ev.project, at: Date.parse(ev.time) });
  schemaLedger(state).set(key, list);
}

function isMigration(v: unknown): v is MigrationOutput {
  const m = v as Partial<MigrationOutput> | undefined;
  return typeof m === 'object' && m !== null && (m.phase === 'expand' || m.phase === 'contract') && typeof m.service === 'string' && typeof m.id === 'string';
}

/** A `migrate` task finished: what it reports becomes a `schema.changed` event (nothing when it carried no migration). */
export function noteMigration(tx: Tx, run: Run, task: TaskRun, result: string, output: Readonly<Record<string, unknown>> | undefined): SchemaChange | undefined {
  if (task.kind !== MIGRATE_KIND || result === 'fail') return undefined;
  const m = output?.migration;
  if (!isMigration(m) || m.source === 'none') return undefined;
  const spec = run.spec.steps.flatMap((s) => s.tasks).find((t) => t.name === task.name);
  const d: SchemaChangedData = {
    phase: m.phase,
    service: m.service,
    id: m.id,
    applied: m.applied,
    ...(m.schemaVersion !== undefined ? { schemaVersion: m.schemaVersion } : {}),
    ...(m.source !== undefined ? { source: m.source } : {}),
    stage: run.stage,
    releaseId: run.releaseId,
    runId: run.id,
    task: task.name,
    properties: spec?.properties ?? {},
  };
  const known = stageChanges(tx.state, run.project, run.stage).some((c) => c.id === d.id);
  if (!known) tx.emit(SCHEMA_CHANGED, { project: run.project, stage: run.stage, run, subject: run.releaseId }, d);
  return stageChanges(tx.state, run.project, run.stage).find((c) => c.id === d.id);
}

/**
 * A rollback of `stage` to `to` is refused when a contract ran there for a release newer
 * than `to`: the old schema `to` reads and writes is gone, and running it would fail
 * requests (or corrupt data). Expanded-only releases are no obstacle: expand keeps the
 * schema compatible with what ran before.
 */
export function checkRollbackSchema(state: CoreState, project: string, stage: string, to: string): void {
  const target = state.releases.get(to)?.release;
  if (!target) return;
  const services = new Set(Object.keys(target.artifacts));
  for (const c of stageChanges(state, project, stage)) {
    if (c.phase !== 'contract' || c.releaseId === to || !services.has(c.service)) continue;
    const contracted = state.releases.get(c.releaseId)?.release;
    // An unknown release is treated as newer: refusing is the safe side.
    if (contracted && contracted.createdAt <= target.createdAt) continue;
    throw new SlipwayError(
      'SCHEMA_CONTRACTED',
      `rollback of stage '${stage}' to release ${to} refused: the contract of release ${c.releaseId} ` +
        `(migration ${c.id}${c.schemaVersion !== undefined ? `, schema version ${c.schemaVersion}` : ''}) ran on ${c.service}'s database in '${stage}' ` +
        `at ${new Date(c.at).toISOString()} and removed what ${to} still reads and writes, so ${to} would fail there. ` +
        `Roll forward with a fix (a new release), or restore the database to before that contract and then roll back`,
      { field: 'to', stage, service: c.service, release: c.releaseId, migration: c.id },
    );
  }
}

/**
 * Where an expand must sit: in a step before the first step that deploys (so the new
 * version never takes traffic on the old schema). Returns, per misplaced expand, its step
 * and task index with the deploy it should precede.
 */
export function misplacedExpands(steps: readonly (readonly { name: string; kind: string; properties: Readonly<Record<string, unknown>> }[])[]): { step: number; index: number; message: string }[] {
  const firstDeploy = steps.findIndex((s) => s.some((t) => t.kind === 'deploy' || t.kind === 'deployment'));
  if (firstDeploy < 0) return [];
  const deploy = steps[firstDeploy]!.find((t) => t.kind === 'deploy' || t.kind === 'deployment')!.name;
  const out: { step: number; index: number; message: string }[] = [];
  steps.forEach((s, step) =>
    s.forEach((t, index) => {
      if (t.kind !== MIGRATE_KIND || t.properties.phase !== 'expand' || step < firstDeploy) return;
      out.push({ step, index, message: `migrate task '${t.name}' (phase expand) runs ${step === firstDeploy ? 'alongside' : 'after'} deploy task '${deploy}': an expand must finish before the new version takes traffic; move it above '${deploy}'` });
    }),
  );
  return out;
}
