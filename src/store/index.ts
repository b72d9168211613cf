/** The store folder's only public door. */
export type {
  CommitBatch,
  EventFilter,
  OutboxRow,
  PipelineVersionRow,
  RunFilter,
  Store,
  StoreCapabilities,
  StoredEvent,
  SubscriptionRow,
  TokenRow,
} from './port.js';
export { openStore, parseStoreUrl, DEFAULT_SQLITE_FILE } from './open-store.js';
export { openSqliteStore, SqliteStore, type SqliteSettings, type SqliteStoreOptions } from './sqlite/index.js';
