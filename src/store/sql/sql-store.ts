/**
 * The Store over any Kysely dialect. Queries are written once (reads.ts, pipelines.ts,
 * commit-batch.ts); what differs between backends arrives as a SqlDialectProfile.
 */
import type { Kysely } from 'kysely';
import { RunStates, TerminalRunStates, type RunState } from '../../core/index.js';
import { SlipwayError, isSlipwayError } from '../../core/errors.js';
import { migrateToLatest, type SchemaOptions } from '../migrations/index.js';
import type { DeliveryFilter, DeliveryRow, WatchRepoRow } from '../port.js';
import * as audit from './audit.js';
import * as insights from './insights.js';
import type { AuditDraft, AuditFilter, CommitBatch, DeploymentQuery, EventFilter, KeptnPartialRow, PipelineVersionRow, RunFilter, SecretRow, Store, StoreCapabilities, SubscriptionRow, TokenRow } from '../port.js';
import * as access from './access.js';
import * as keptn from './keptn.js';
import { encodeBatch, isEmptyBatch, writeBatch, type EncodedBatch } from './commit-batch.js';
import * as pipelines from './pipelines.js';
import * as reads from './reads.js';
import * as secrets from './secrets.js';
import * as hooks from './hooks.js';
import * as notify from './notifications.js';
import * as flags from './flags.js';
import * as idem from './idempotency.js';
import type { IdempotencyRow, IdempotentAnswer, NotificationFilter, NotificationRow } from '../port.js';
import type { Database } from './schema.js';

export interface SqlDialectProfile {
  capabilities: StoreCapabilities;
  schema: SchemaOptions;
  /** The most bind parameters one statement may carry (SQLite 32766, PostgreSQL 65535). */
  maxParameters: number;
  /** Reads a member of a JSON text column (`json_extract` in SQLite, `#>>` in PostgreSQL). */
  jsonField: insights.JsonField;
}

const activeStates: RunState[] = Object.values(RunStates).filter((s) => !TerminalRunStates.has(s));

/** Applies pending migrations unless told not to; a store whose migration fails is closed before the error goes on. */
export async function migratedOrClosed<S extends SqlStore>(store: S, migrate = true): Promise<S> {
  if (!migrate) return store;
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

export class SqlStore implements Store {
  readonly capabilities: StoreCapabilities;
  #closed = false;

  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly profile: SqlDialectProfile,
  ) {
    this.capabilities = { ...profile.capabilities };
  }

  async migrate(): Promise<void> {
    await migrateToLatest(this.db as unknown as Kysely<unknown>, this.profile.schema);
  }

  /** Idempotent: a second close does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }

  /** Checks, inside each commit's and each direct change's transaction, that this process may still write (replicas: the lease). */
  protected fenceIn: ((trx: Kysely<Database>) => Promise<void>) | undefined;

  /** Spec objects already in run_specs: a run rewritten on each transition carries the same one. */
  private readonly specsWritten = new WeakSet<object>();

  /** One transaction for the whole batch; an empty batch touches nothing. */
  async commit(batch: CommitBatch): Promise<void> {
    if (isEmptyBatch(batch)) return;
    const rows = encodeBatch(batch, (r) => this.specsWritten.has(r.spec));
    try {
      await this.writeEncoded(rows, batch.audit ?? []);
      for (const r of batch.runs) this.specsWritten.add(r.spec);
    } catch (e) {
      if (isSlipwayError(e)) throw e;
      const sizes = `${batch.events.length} events, ${batch.runs.length} runs, ${batch.outboxPut.length} outbox rows`;
      const reason = e instanceof Error ? e.message : String(e);
      throw new SlipwayError('STORE', `the store rejected a batch (${sizes}) and wrote none of it: ${reason}`, {}, { cause: e });
    }
  }

  /** Writes an encoded batch and its audit rows in one transaction (a store may do it elsewhere: SQLite on its commit thread). */
  protected async writeEncoded(rows: EncodedBatch, drafts: readonly AuditDraft[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // First, so a replica that lost its lease writes nothing (postgres/lease.ts).
      if (this.fenceIn) await this.fenceIn(trx);
      await writeBatch(trx, rows, this.profile.maxParameters);
      // Sealed last, after the effects they record: the chain link is read inside this transaction.
      await audit.appendAuditIn(trx, drafts, this.capabilities.concurrentWriters);
    });
  }

  /**
   * A change and its audit row in one transaction: both are committed or neither. The row is
   * written only when the change happened (`happened`: an insert that found its key taken, or
   * a delete that found nothing, changed nothing and is not audited).
   */
  private audited<T>(draft: AuditDraft | undefined, change: (db: Kysely<Database>) => Promise<T>, happened: (result: T) => boolean = () => true): Promise<T> {
    if (!draft && !this.fenceIn) return change(this.db);
    return this.db.transaction().execute(async (trx) => {
      // Fenced like engine commits: a replica that lost its lease (frozen, then woken) must not
      // change tokens, secrets or pipelines behind the active replica's back (postgres/lease.ts).
      if (this.fenceIn) await this.fenceIn(trx);
      const result = await change(trx);
      if (draft && happened(result)) await audit.appendAuditIn(trx, [draft], this.capabilities.concurrentWriters);
      return result;
    });
  }

  activeRuns = () => reads.runsInStates(this.db, activeStates);
  maxQueueSeq = () => reads.maxQueueSeq(this.db);
  getRun = (id: string) => reads.getRun(this.db, id);
  listRuns = (filter: RunFilter) => reads.listRuns(this.db, filter);
  listRunsWithoutSpecs = (filter: RunFilter) => reads.listRunsWithoutSpecs(this.db, filter);
  getRelease = (id: string) => reads.getRelease(this.db, id);
  stagePasses = (releaseId: string) => reads.stagePasses(this.db, releaseId);
  artifactPasses = (project: string, service: string, artifact: string) => reads.artifactPasses(this.db, project, service, artifact);
  live = (project?: string) => reads.live(this.db, project);
  flagStates = (project?: string) => flags.flagStates(this.db, project);
  outbox = () => reads.outbox(this.db);
  dueTimers = (dueBy: number, limit: number) => reads.dueTimers(this.db, dueBy, limit);
  nextTimerDue = () => reads.nextTimerDue(this.db);
  events = (filter: EventFilter) => reads.events(this.db, filter);
  lastEventSeq = () => reads.lastEventSeq(this.db);

  savePipelineVersion = (row: PipelineVersionRow, draft?: AuditDraft) => this.audited(draft, (db) => pipelines.savePipelineVersion(db, row, this.profile.maxParameters));
  latestPipelines = (project?: string) => pipelines.latestPipelines(this.db, project);
  getPipelineVersion = (project: string, version: string) => pipelines.getPipelineVersion(this.db, project, version);

  addToken = (row: TokenRow, draft?: AuditDraft) => this.audited(draft, (db) => access.addToken(db, row), Boolean);
  tokenByHash = (hash: string) => access.tokenByHash(this.db, hash);
  listTokens = () => access.listTokens(this.db);
  deleteToken = (id: string, draft?: AuditDraft) => this.audited(draft, (db) => access.deleteToken(db, id), Boolean);
  addSubscription = (row: SubscriptionRow, draft?: AuditDraft) => this.audited(draft, (db) => access.addSubscription(db, row), Boolean);
  listSubscriptions = () => access.listSubscriptions(this.db);
  deleteSubscription = (id: string, draft?: AuditDraft) => this.audited(draft, (db) => access.deleteSubscription(db, id), Boolean);

  putSecret = (row: SecretRow, draft?: AuditDraft) => this.audited(draft, (db) => secrets.putSecret(db, row));
  getSecret = (name: string) => secrets.getSecret(this.db, name);
  listSecrets = () => secrets.listSecrets(this.db);
  deleteSecret = (name: string, draft?: AuditDraft) => this.audited(draft, (db) => secrets.deleteSecret(db, name), Boolean);

  addDelivery = (row: DeliveryRow) => hooks.addDelivery(this.db, row);
  putDelivery = (row: DeliveryRow) => hooks.putDelivery(this.db, row);
  getDelivery = (project: string, source: string, id: string) => hooks.getDelivery(this.db, project, source, id);
  listDeliveries = (filter: DeliveryFilter) => hooks.listDeliveries(this.db, filter);
  eventsOfInput = (inputId: string) => hooks.eventsOfInput(this.db, inputId);
  appliedInputs = (inputIds: readonly string[]) => hooks.appliedInputs(this.db, inputIds);
  getWatchRepo = (project: string) => hooks.getWatchRepo(this.db, project);
  primeWatchRepo = (row: WatchRepoRow, refs: Readonly<Record<string, string>>) => hooks.primeWatchRepo(this.db, row, refs);
  watchRefs = (project: string) => hooks.watchRefs(this.db, project);
  putWatchRefs = (project: string, refs: Readonly<Record<string, string | null>>) => hooks.putWatchRefs(this.db, project, refs);
  putKeptnPartial = (row: KeptnPartialRow) => keptn.putKeptnPartial(this.db, row);
  keptnPartials = (taskId: string) => keptn.keptnPartials(this.db, taskId);
  deleteKeptnPartials = (taskId: string) => keptn.deleteKeptnPartials(this.db, taskId);

  appendAudit = (drafts: readonly AuditDraft[]) => audit.appendAudit(this.db, drafts, this.capabilities.concurrentWriters);
  auditRows = (filter: AuditFilter) => audit.auditRows(this.db, filter);
  deployments = (query: DeploymentQuery) => insights.deployments(this.db, query, this.profile.jsonField);
  arrivals = (project: string, fromMs: number, toMs: number) => insights.arrivals(this.db, project, fromMs, toMs, this.profile.jsonField, this.profile.maxParameters);
  notifyCursor = (name: string) => notify.notifyCursor(this.db, name);
  enqueueNotifications = (rows: readonly NotificationRow[], cursors: readonly { name: string; value: number }[]) => notify.enqueueNotifications(this.db, rows, cursors);
  updateNotification = (row: NotificationRow) => notify.updateNotification(this.db, row);
  notifications = (filter: NotificationFilter) => notify.notifications(this.db, filter);
  notificationCounts = () => notify.notificationCounts(this.db);
  pruneNotifications = (before: number) => notify.pruneNotifications(this.db, before);
  claimIdempotencyKey = (row: IdempotencyRow) => idem.claimIdempotencyKey(this.db, row);
  settleIdempotencyKey = (key: string, principal: string, answer: IdempotentAnswer, expiresAt: number) => idem.settleIdempotencyKey(this.db, key, principal, answer, expiresAt);
  releaseIdempotencyKey = (key: string, principal: string) => idem.releaseIdempotencyKey(this.db, key, principal);
  idempotencyKey = (key: string, principal: string) => idem.idempotencyKey(this.db, key, principal);
  pruneIdempotencyKeys = (now: number, pendingToo?: boolean) => idem.pruneIdempotencyKeys(this.db, now, pendingToo);
}
