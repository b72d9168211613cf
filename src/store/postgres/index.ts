export { openPostgresStore, PostgresStore, postgresProfile, type PostgresStoreOptions } from './postgres-store.js';
export { parsePostgresUrl, describe as describePostgresTarget, DEFAULT_PG_POOL, type PostgresTarget } from './connect.js';
