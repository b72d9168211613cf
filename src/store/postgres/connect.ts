/** Opens the connection pool of a PostgreSQL store (the URL is read in url.ts). */
import pg from 'pg';
import { CONNECT_TIMEOUT_MS, connectionError, type PostgresTarget } from './url.js';

/**
 * bigint columns (timestamps in ms, sequence numbers, count(*)) come back as numbers, as
 * SQLite returns them: every such value stays far below 2^53.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function createPool(t: PostgresTarget, idleInTransactionMs?: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: t.connectionString,
    max: t.pool,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types,
    ...(idleInTransactionMs !== undefined ? { idle_in_transaction_session_timeout: idleInTransactionMs } : {}),
  });
  // An idle connection that the server drops (restart, failover) is taken out of the pool
  // by pg; without a listener the 'error' event would end the process. The next query
  // opens a new connection or fails with its own error.
  pool.on('error', () => undefined);
  // The same for a connection in use: the server ending it (a restart, or a replica frozen
  // past idle_in_transaction_session_timeout) would otherwise end the process; the query
  // on it fails instead, and the pool drops the connection when it comes back.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Opens one connection to check the target, turning a failure into a message that says where and what to do. */
export async function checkConnection(pool: pg.Pool, t: PostgresTarget): Promise<void> {
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    throw connectionError(e, t);
  }
}

