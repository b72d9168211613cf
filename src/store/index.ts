/** The store folder's only public door. */
export type {
  ArrivalRow,
  AuditDraft,
  AuditFilter,
  AuditRow,
  BackupInfo,
  CommitBatch,
  DeliveryFilter,
  DeliveryOutcome,
  DeliveryRow,
  WatchRepoRow,
  DeploymentQuery,
  DeploymentRow,
  EventFilter,
  IdempotencyRow,
  IdempotentAnswer,
  KeptnPartialRow,
  NotificationFilter,
  NotificationRow,
  OutboxRow,
  PipelineVersionRow,
  RunFilter,
  SecretRow,
  Store,
  StoreCapabilities,
  StoredAuditRow,
  StoredEvent,
  SubscriptionRow,
  TokenRow,
} from './port.js';
export type { CommitFence, Lease, LeaseBook, LeaseView } from './port.js';
export { openStore, parseStoreUrl, DEFAULT_SQLITE_FILE } from './open-store.js';
export type { OpenStoreOptions, StoreTarget } from './open-store.js';
export { openPostgresStore } from './open-store.js';
export type { PostgresStore, PostgresStoreOptions } from './postgres/postgres-store.js';
export { DEFAULT_PG_POOL } from './postgres/url.js';
export { openSqliteStore, SqliteStore, type SqliteSettings, type SqliteStoreOptions } from './sqlite/index.js';
export { checkSqliteBackup, restoreSqlite } from './sqlite/backup.js';
export { backupFormatOf, backupPostgresUrl, restorePostgres } from './postgres/backup.js';
export { eventJson } from './event-json.js';
export { lockDataDir, readHolder, type DataLock, type LockHolder } from './data-lock.js';
export { GENESIS_HASH, auditContent, canonicalJson, sealAudit, sha256Hex } from './audit-chain.js';
