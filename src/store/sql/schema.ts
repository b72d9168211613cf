/**
 * Row types as Kysely sees them. `Int8` columns are 64-bit: SQLite hands back numbers,
 * PostgreSQL hands back strings, so every read of one goes through `Number()`.
 */
import type { ColumnType, Generated } from 'kysely';
import type { FlagsTable } from './flags.js';
import type { IdempotencyKeysTable } from './idempotency.js';

export type Int8 = ColumnType<number | string, number, number>;

export interface EventsTable {
  seq: Generated<number | string>;
  id: string;
  project: string;
  type: string;
  run_id: string | null;
  time_ms: Int8;
  body: string;
}

export interface ReleasesTable {
  id: string;
  project: string;
  created_at: Int8;
  body: string;
}

export interface RunsTable {
  id: string;
  project: string;
  stage: string;
  sequence: string;
  release_id: string;
  state: string;
  queue_seq: Int8;
  queued_at: Int8;
  finished_at: ColumnType<number | string | null, number | null, number | null>;
  body: string;
}

export interface StagePassesTable {
  release_id: string;
  stage: string;
  sequence: string;
  at: Int8;
  body: string;
}

export interface ArtifactPassesTable {
  project: string;
  service: string;
  artifact: string;
  stage: string;
  at: Int8;
  body: string;
}

export interface LiveTable {
  project: string;
  stage: string;
  service: string;
  body: string;
}

export interface OutboxTable {
  id: string;
  task_id: string;
  created_at: Int8;
  body: string;
}

export interface TimersTable {
  id: string;
  due_at: Int8;
  body: string;
}

export interface PipelineVersionsTable {
  project: string;
  version: string;
  created_at: Int8;
  body: string;
}

export interface TokensTable {
  id: string;
  name: string;
  hash: string;
  created_at: Int8;
  body: string;
}

export interface SubscriptionsTable {
  id: string;
  kind: string;
  created_at: Int8;
  body: string;
}

export interface RunSpecsTable {
  run_id: string;
  body: string;
}

/** One row per run and service of its release (migration 0017). */
export interface RunServicesTable {
  run_id: string;
  service: string;
  project: string;
  stage: string;
  queue_seq: Int8;
}

export interface SecretsTable {
  name: string;
  updated_at: Int8;
  body: string;
}

export interface WebhookDeliveriesTable {
  project: string;
  source: string;
  id: string;
  received_at: Int8;
  body: string;
}

export interface GitWatchReposTable {
  project: string;
  body: string;
}

export interface GitWatchRefsTable {
  project: string;
  ref: string;
  commit: string;
}

export interface KeptnPartialsTable {
  task_id: string;
  service: string;
  body: string;
}

export interface AuditTable {
  seq: Int8;
  at_ms: Int8;
  actor: string;
  action: string;
  project: string | null;
  target: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
  /** The sealed canonical JSON the hash covers. */
  body: string;
}

export interface NotificationsTable {
  seq: Generated<number | string>;
  id: string;
  project: string;
  sink: string;
  state: string;
  next_at: Int8;
  body: string;
}

export interface NotifyCursorsTable {
  name: string;
  value: Int8;
}

export interface Database {
  events: EventsTable;
  releases: ReleasesTable;
  runs: RunsTable;
  run_specs: RunSpecsTable;
  run_services: RunServicesTable;
  stage_passes: StagePassesTable;
  artifact_passes: ArtifactPassesTable;
  live: LiveTable;
  outbox: OutboxTable;
  timers: TimersTable;
  pipeline_versions: PipelineVersionsTable;
  tokens: TokensTable;
  subscriptions: SubscriptionsTable;
  secrets: SecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  git_watch_repos: GitWatchReposTable;
  git_watch_refs: GitWatchRefsTable;
  keptn_partials: KeptnPartialsTable;
  audit: AuditTable;
  notifications: NotificationsTable;
  notify_cursors: NotifyCursorsTable;
  flags: FlagsTable;
  idempotency_keys: IdempotencyKeysTable;
}
