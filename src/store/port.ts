/**
 * The Store port: the only way the engine reads and writes durable state. One
 * implementation per backend (SQLite embedded, PostgreSQL later); both pass
 * test/store/store.case.ts. Backends differ by capability flags, never by name.
 */
import type {
  ArtifactPass,
  LiveEntry,
  Release,
  Run,
  RunState,
  SlipwayEvent,
  StagePass,
  Timer,
} from '../core/index.js';
import type { FlagState } from '../core/index.js';

export interface StoreCapabilities {
  /** Several processes may write at once (PostgreSQL); SQLite has one writer. */
  concurrentWriters: boolean;
  /** `FOR UPDATE SKIP LOCKED` is available for claiming work. */
  skipLocked: boolean;
  /** `LISTEN/NOTIFY` is available to wake other replicas. */
  listenNotify: boolean;
}

/** A durable effect waiting to be carried out: a task to dispatch or to resume. */
export interface OutboxRow {
  /** `dispatch:<taskId>` or `resume:<taskId>:<n>` */
  id: string;
  taskId: string;
  project: string;
  kind: 'dispatch' | 'resume';
  /** For resume: `{signal, payload, by}`. */
  payload: Readonly<Record<string, unknown>>;
  createdAt: number;
}

export interface PipelineVersionRow {
  project: string;
  version: string;
  /** The source text as given (YAML). */
  source: string;
  /** File name or `api`, for messages. */
  origin: string;
  createdAt: number;
}

/** Everything one engine transaction writes. Applied atomically, in field order. */
export interface CommitBatch {
  events: SlipwayEvent[];
  releases: Release[];
  /** Insert or replace by id. */
  runs: Run[];
  /** Insert or replace by (releaseId, stage, sequence). */
  stagePasses: StagePass[];
  /** Insert or replace by (project, service, artifact, stage). */
  artifactPasses: ArtifactPass[];
  /** Insert or replace by (project, stage, service). */
  live: LiveEntry[];
  /** Deletes every outbox row of these task ids. Applied BEFORE outboxPut (a task may be settled, then resumed, in one batch). */
  outboxSettle: string[];
  outboxPut: OutboxRow[];
  timersPut: Timer[];
  timersDelete: string[];
  /** Audit rows for the people's and tokens' actions the batch applies: sealed into the chain in the same transaction. */
  audit?: AuditDraft[];
  /** Feature flag states, insert or replace by (project, stage, flag). */
  flags?: FlagState[];
}

export interface RunFilter {
  project?: string;
  stage?: string;
  releaseId?: string;
  /** Runs whose release holds this service (a bracket holds several). */
  service?: string;
  states?: RunState[];
  /** Runs with queueSeq lower than this (cursor pagination, newest first). */
  beforeSeq?: number;
  limit?: number;
}

export interface EventFilter {
  project?: string;
  runId?: string;
  /** Events with a log position greater than this. */
  afterSeq?: number;
  types?: string[];
  /** Events recorded at or after this time (UTC ms). */
  sinceMs?: number;
  limit?: number;
  /** With `limit`: the newest `limit` matching events instead of the oldest (still in log order). */
  newest?: boolean;
}

export interface StoredEvent {
  /** Position in the log, strictly increasing. */
  seq: number;
  event: SlipwayEvent;
}

/** An API token. The token itself is shown once at creation; only its sha256 is kept. */
export interface TokenRow {
  id: string;
  /** Unique; recorded in the event log as `token:<name>`. */
  name: string;
  /** Hex sha256 of the token. Unique. */
  hash: string;
  /** `read`, `trigger`, `approve:<stage>`, `approve:*`, `execute`, `admin`. */
  scopes: string[];
  /** Groups approval policies count approvers by (`qa`, `release-managers`); absent: none. */
  groups?: string[];
  createdAt: number;
  createdBy?: string;
}

/** A push subscription: tasks of `kind` are delivered to `url`, signed with `secret`. */
export interface SubscriptionRow {
  id: string;
  kind: string;
  url: string;
  /** HMAC key for delivery signatures; kept as given, since signing needs it. */
  secret: string;
  createdAt: number;
  createdBy?: string;
  /** `keptn`: deliveries are Keptn's `.triggered` events and the receiver answers on Keptn's API (docs/keptn.md); absent: Slipway's. */
  dialect?: 'slipway' | 'keptn';
  /** With dialect `keptn`: the name of the token the receiver answers with; only it may report on a delivered task. */
  token?: string;
}

/**
 * Keptn: one service's `.finished` for a task of several services, kept until every service
 * answered and the task ends (src/keptn/executor-api.ts).
 */
export interface KeptnPartialRow {
  taskId: string;
  service: string;
  result: 'pass' | 'warning' | 'fail';
  /** The service's Keptn data (status, message, what it returned). */
  data: Record<string, unknown>;
  at: number;
}

/** A stored secret: its value sealed (AES-256-GCM) under a key the store never sees. */
export interface SecretRow {
  /** `[A-Z][A-Z0-9_]*`; unique. */
  name: string;
  /** Fingerprint of the key that sealed it. */
  keyId: string;
  /** Base64 nonce, ciphertext and authentication tag. */
  iv: string;
  data: string;
  tag: string;
  createdAt: number;
  updatedAt: number;
  updatedBy?: string;
}

/** What became of a webhook delivery: being handled (or cut off by a stop), a release made, handed on, nothing to do, refused. */
export type DeliveryOutcome = 'received' | 'released' | 'forwarded' | 'ignored' | 'rejected';

/** A webhook delivery (or a ref@commit the git watcher saw) and what became of it. */
export interface DeliveryRow {
  project: string;
  /** `artifact`, `github`, `gitlab`, `watcher`. */
  source: string;
  /** The sender's id (X-Slipway-Delivery, X-GitHub-Delivery, X-Gitlab-Event-UUID; `<ref>@<commit>` for the watcher). */
  id: string;
  /** `artifact`, `push`, `create`, `pull_request`, `Tag Push Hook`, … as the sender named it. */
  event: string;
  receivedAt: number;
  updatedAt: number;
  outcome: DeliveryOutcome;
  /** The HTTP status answered. */
  status: number;
  message?: string;
  commit?: string;
  releaseId?: string;
  runId?: string;
}

export interface DeliveryFilter {
  project?: string;
  source?: string;
  /** Newest first, at most this many. */
  limit: number;
}

/** A repository the git watcher primed: what existed then was recorded, not released. */
export interface WatchRepoRow {
  project: string;
  url: string;
  primedAt: number;
}

/** A person's or token's action, before the store seals it into the audit chain (see audit-chain.ts). Never holds a secret value. */
export interface AuditDraft {
  /** UTC ms. */
  at: number;
  /** Who: `token:<name>`, `cli:<user>`, `server`, … */
  actor: string;
  /** What: `release.trigger`, `run.abort`, `token.create`, … (docs/audit.md lists them). */
  action: string;
  project?: string;
  /** What it acted on: a run, release, task, token or secret name. */
  target?: string;
  details?: Readonly<Record<string, unknown>>;
}

/** A sealed audit row: its place in the chain, the previous row's hash and its own. */
export interface AuditRow extends AuditDraft {
  seq: number;
  prevHash: string;
  hash: string;
}

/** An audit row as stored: its columns (`row`) and the sealed text its hash was computed from. */
export interface StoredAuditRow {
  row: AuditRow;
  sealed: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  project?: string;
  /** UTC ms, inclusive. */
  sinceMs?: number;
  /** UTC ms, exclusive. */
  untilMs?: number;
  /** Case-insensitive substring of the sealed row (actor, action, target, details). */
  text?: string;
  afterSeq?: number;
  beforeSeq?: number;
  limit?: number;
  /** `asc` (default): oldest first. */
  order?: 'asc' | 'desc';
}

/** One run in a stage that ended succeeded or failed: what the DORA figures need of it. */
export interface DeploymentRow {
  runId: string;
  releaseId: string;
  stage: string;
  state: 'succeeded' | 'failed';
  queueSeq: number;
  finishedAt: number;
  /** Queued to put an earlier release back (`cause: rollback`). */
  rollback: boolean;
  /** Queued by the finish of a failed run (a remediation sequence). */
  carriedFail: boolean;
}

export interface DeploymentQuery {
  project: string;
  /** Absent: every stage. */
  stage?: string;
  /** Finished at or after (UTC ms). */
  fromMs: number;
  /** Finished before (UTC ms). */
  toMs: number;
  /** Newest first (with `limit`: the last ones before `toMs`). */
  newestFirst?: boolean;
  limit?: number;
}

/** A release's first success in a stage, with the release's commit times. */
export interface ArrivalRow {
  stage: string;
  releaseId: string;
  at: number;
  commitTime?: number;
  firstCommitTime?: number;
}

/** One notice for one sink (src/notify): a row of the durable delivery queue. */
export interface NotificationRow {
  /** `<project>/<sink>/<notice id>`: the delivery id receivers dedupe on. */
  id: string;
  /** Order of queueing; assigned by the store (absent before the insert). */
  seq?: number;
  project: string;
  sink: string;
  state: 'pending' | 'delivered' | 'dead';
  /** UTC ms: when a pending row may be tried (again); for a delivered or given-up row, when it settled. */
  nextAt: number;
  attempts: number;
  createdAt: number;
  /** The notice as built when queued: references and names, never secret values. */
  notice: Readonly<Record<string, unknown>>;
  firstFailedAt?: number;
  lastError?: string;
  lastAttemptAt?: number;
  deliveredAt?: number;
}

export interface NotificationFilter {
  project?: string;
  sink?: string;
  states?: NotificationRow['state'][];
  limit: number;
  /** The newest `limit` rows (newest first) instead of the oldest. */
  newest?: boolean;
}

/** What a backup wrote: a file the backend's restore reads back (`format` names which). */
export interface BackupInfo {
  file: string;
  bytes: number;
  /** `sqlite`: a SQLite database file; `pg_dump`: a PostgreSQL custom-format dump (pg_restore reads it). */
  format: string;
}

/**
 * What an `Idempotency-Key` stands for (src/api/idempotency.ts): the first request sent with
 * it by one caller, and once answered, its answer, replayed to repeats until `expiresAt`.
 */
export interface IdempotencyRow {
  key: string;
  /** Whose key: the token's id (the same key from two tokens is two keys). */
  principal: string;
  /** sha256 of the method, the path with its query and the body: a repeat must match it. */
  fingerprint: string;
  /** `POST /api/v1/…` and when, for the message refusing the key for another request. */
  request: string;
  createdAt: number;
  /** When the row may be pruned: 24 h after the answer; while pending, when its request is given up for lost. */
  expiresAt: number;
  /** Absent while the first request runs. */
  answer?: IdempotentAnswer;
}

export interface IdempotentAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * A lease between replicas of one server (PostgreSQL: `store.leases`). Times are the
 * database's clock in UTC ms, so the replicas' own clocks never matter.
 */
export interface Lease {
  name: string;
  /** The replica id holding it. */
  holder: string;
  /** Where the holder answers HTTP. */
  url: string;
  /** +1 on every new holding; commits are fenced on it. */
  epoch: number;
  /** 0 once released. */
  expiresAt: number;
  acquiredAt: number;
}

/** A lease as it stands (absent: never taken) and the database's clock when read. */
export interface LeaseView {
  lease?: Lease;
  now: number;
}

export interface LeaseBook {
  /** Takes the lease if it is free (never taken, expired, released, or held under this holder id): epoch + 1. `got`: ours now. */
  acquire(name: string, holder: string, url: string, ttlMs: number): Promise<LeaseView & { got: boolean }>;
  /** Extends our holding; undefined when it is no longer ours (expired, or taken). */
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Extends our holding even after it expired, as long as nobody took it since (holder and epoch
   * unchanged: every taking bumps the epoch) and it was not released; undefined otherwise. For a
   * replica whose own process stalled past the expiry while no other replica took over.
   */
  reclaim(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** Gives it up at once (graceful stop) and wakes the standbys. */
  release(lease: Lease): Promise<void>;
  read(name: string): Promise<LeaseView>;
  /** Calls `onChange` whenever a lease is taken or released (LISTEN/NOTIFY); answers how to stop listening. */
  watch(onChange: (name: string) => void, onError: (e: Error) => void): Promise<() => Promise<void>>;
}

/** What a store checks in every engine commit's own transaction: the lease is still ours. */
export interface CommitFence {
  name: string;
  holder: string;
  epoch: number;
  /** False once this process can no longer be sure it holds the lease (its renewals missed the expiry): refused without asking the database. */
  valid(): boolean;
  /**
   * Asked when `valid()` is false, before refusing: true once the lease is ours again (a replica
   * that stalled past its expiry reclaimed it, nobody having taken it), false to refuse.
   */
  recheck(): Promise<boolean>;
  /** Told when a commit was refused (the replica then steps down). */
  refused(reason: string): void;
}

export interface Store {
  readonly capabilities: StoreCapabilities;
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  commit(batch: CommitBatch): Promise<void>;

  /** Runs not in a terminal state (queued, running, waiting, paused), oldest first. */
  activeRuns(): Promise<Run[]>;
  /** The highest queueSeq ever assigned (0 when none). */
  maxQueueSeq(): Promise<number>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(filter: RunFilter): Promise<Run[]>;
  /** The same runs without their specs (`spec` left out, one read less, less to decode): for readers of tasks and results only, like an evaluation's history. */
  listRunsWithoutSpecs(filter: RunFilter): Promise<Omit<Run, 'spec'>[]>;

  getRelease(id: string): Promise<Release | undefined>;
  stagePasses(releaseId: string): Promise<StagePass[]>;
  artifactPasses(project: string, service: string, artifact: string): Promise<ArtifactPass[]>;

  live(project?: string): Promise<LiveEntry[]>;
  /** Feature flag states per stage (all, or one project's). */
  flagStates(project?: string): Promise<FlagState[]>;

  outbox(): Promise<OutboxRow[]>;
  /** Timers due at or before `dueBy`, earliest first. */
  dueTimers(dueBy: number, limit: number): Promise<Timer[]>;
  /** The earliest due time of any timer, or undefined. */
  nextTimerDue(): Promise<number | undefined>;

  events(filter: EventFilter): Promise<StoredEvent[]>;
  /** The position of the newest event in the log (0 when empty). */
  lastEventSeq(): Promise<number>;

  /** `audit`: the row recording the change, written in the same transaction (as for every change below that takes one). */
  savePipelineVersion(row: PipelineVersionRow, audit?: AuditDraft): Promise<void>;
  /** The newest version of each project's pipeline (or one project's). */
  latestPipelines(project?: string): Promise<PipelineVersionRow[]>;
  getPipelineVersion(project: string, version: string): Promise<PipelineVersionRow | undefined>;

  /** Saves a new token; false (and nothing written) when its id, name or hash is taken. */
  addToken(row: TokenRow, audit?: AuditDraft): Promise<boolean>;
  tokenByHash(hash: string): Promise<TokenRow | undefined>;
  /** Oldest first. */
  listTokens(): Promise<TokenRow[]>;
  /** False when no token has that id. */
  deleteToken(id: string, audit?: AuditDraft): Promise<boolean>;

  /** Saves a new subscription; false when its id is taken. */
  addSubscription(row: SubscriptionRow, audit?: AuditDraft): Promise<boolean>;
  /** Oldest first. */
  listSubscriptions(): Promise<SubscriptionRow[]>;
  /** False when no subscription has that id. */
  deleteSubscription(id: string, audit?: AuditDraft): Promise<boolean>;

  /** Inserts or replaces the secret of that name. */
  putSecret(row: SecretRow, audit?: AuditDraft): Promise<void>;
  getSecret(name: string): Promise<SecretRow | undefined>;
  /** By name. */
  listSecrets(): Promise<SecretRow[]>;
  /** False when no secret has that name. */
  deleteSecret(name: string, audit?: AuditDraft): Promise<boolean>;

  /** Inserts the delivery; false (and nothing written) when one with its project, source and id exists. */
  addDelivery(row: DeliveryRow): Promise<boolean>;
  /** Inserts or replaces by (project, source, id). */
  putDelivery(row: DeliveryRow): Promise<void>;
  getDelivery(project: string, source: string, id: string): Promise<DeliveryRow | undefined>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRow[]>;
  /** The events one input wrote (ids `<inputId>.<n>`), in log order: whether an input was applied before a crash. */
  eventsOfInput(inputId: string): Promise<SlipwayEvent[]>;
  /**
   * Of these input ids, those the log holds events of (an applied input's first event is
   * `<inputId>.0`): inputs applied before, whatever the engine's memory still says. One
   * lookup per id on the unique event id index.
   */
  appliedInputs(inputIds: readonly string[]): Promise<Set<string>>;

  getWatchRepo(project: string): Promise<WatchRepoRow | undefined>;
  /** Primes (or re-primes) a repository: its row and the refs it had, replacing any earlier ones, at once. */
  primeWatchRepo(row: WatchRepoRow, refs: Readonly<Record<string, string>>): Promise<void>;
  /** `{ref: commit}` as last seen. */
  watchRefs(project: string): Promise<Record<string, string>>;
  /** Records refs' commits (null: the ref is gone). */
  putWatchRefs(project: string, refs: Readonly<Record<string, string | null>>): Promise<void>;
  /** Inserts or replaces by (taskId, service). */
  putKeptnPartial(row: KeptnPartialRow): Promise<void>;
  /** By service. */
  keptnPartials(taskId: string): Promise<KeptnPartialRow[]>;
  deleteKeptnPartials(taskId: string): Promise<void>;

  /** Seals and appends audit rows (in one transaction), answering them sealed. */
  appendAudit(drafts: readonly AuditDraft[]): Promise<AuditRow[]>;
  auditRows(filter: AuditFilter): Promise<StoredAuditRow[]>;

  /** Runs that ended succeeded or failed in a time range, oldest first: what the delivery insights are computed from. */
  deployments(query: DeploymentQuery): Promise<DeploymentRow[]>;
  /** Each release's first success in each stage of the project within [fromMs, toMs), with its commit times. */
  arrivals(project: string, fromMs: number, toMs: number): Promise<ArrivalRow[]>;

  /** A named position (notify: the event log's, each project's freeze calendar's); undefined before the first save. */
  notifyCursor(name: string): Promise<number | undefined>;
  /**
   * In one transaction: inserts the rows whose id is new (others are left as they are) and
   * saves the cursors. Answers how many were inserted.
   */
  enqueueNotifications(rows: readonly NotificationRow[], cursors: readonly { name: string; value: number }[]): Promise<number>;
  /** Replaces a row's state, next attempt and body (by id). */
  updateNotification(row: NotificationRow): Promise<void>;
  notifications(filter: NotificationFilter): Promise<NotificationRow[]>;
  /** Deletes delivered and given-up rows settled before `before` (UTC ms; their `nextAt`); answers how many. Pending rows stay. */
  pruneNotifications(before: number): Promise<number>;
  /** Rows per project, sink and state. */
  notificationCounts(): Promise<{ project: string; sink: string; state: NotificationRow['state']; count: number }[]>;

  /**
   * Takes the key for a new request (a pending row) and answers undefined; or answers the row
   * that holds it already. A row expired at `row.createdAt` counts as absent and is replaced.
   */
  claimIdempotencyKey(row: IdempotencyRow): Promise<IdempotencyRow | undefined>;
  /** The request holding the key was answered: keeps the answer until `expiresAt`. */
  settleIdempotencyKey(key: string, principal: string, answer: IdempotentAnswer, expiresAt: number): Promise<void>;
  /** Forgets a pending key (its request failed with a 5xx, or streamed its answer): the key may be sent again. */
  releaseIdempotencyKey(key: string, principal: string): Promise<void>;
  idempotencyKey(key: string, principal: string): Promise<IdempotencyRow | undefined>;
  /** Deletes the rows expired at `now`, and every pending row with `pendingToo` (a server starting answers no request yet); answers how many. */
  pruneIdempotencyKeys(now: number, pendingToo?: boolean): Promise<number>;

  /**
   * A consistent copy of the whole store in `toFile`, taken while it keeps working (SQLite:
   * the online backup). Absent where the backend cannot make one itself (a capability: callers check).
   */
  backup?(toFile: string): Promise<BackupInfo>;

  /** Leases between replicas (capability: PostgreSQL only; SQLite servers hold their data directory instead). */
  readonly leases?: LeaseBook;
  /** Makes every engine commit check `fence` in its own transaction (undefined: no check). Present where `leases` is. */
  setFence?(fence: CommitFence | undefined): void;
}
