export { openSqliteStore, SqliteStore, type SqliteSettings, type SqliteStoreOptions } from './sqlite-store.js';
