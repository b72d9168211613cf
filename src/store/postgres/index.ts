/**
 * The PostgreSQL store's door. url.ts loads without the `pg` driver; the store itself (and
 * pg with it) is loaded by open-store.ts only when a postgres:// URL is opened.
 */
export { openPostgresStore, PostgresStore, postgresProfile, type PostgresStoreOptions } from './postgres-store.js';
export { parsePostgresUrl, describe as describePostgresTarget, DEFAULT_PG_POOL, type PostgresTarget } from './url.js';
