/** Opens the connection pool of a PostgreSQL store (the URL is read in url.ts). */
import pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import { CONNECT_TIMEOUT_MS, connectionError, describe, type PostgresTarget } from './url.js';

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
  // pg-pool listens for errors only on idle clients. A client checked out between two
  // statements (a transaction's, say) that the server ends (`pg_ctl restart -m fast`:
  // FATAL 57P01) emits 'error' with no listener, which would end the process. Its next
  // statement fails instead (the engine retries the batch), and the pool drops the client.
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


const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATE 57P01-03: the server is shutting down, crashed, or not accepting connections yet. */
const DOWN_STATES = new Set(['57P01', '57P02', '57P03']);
const DOWN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/i;

/** Whether `e` says the database cannot be reached (rather than that a statement was wrong). */
export function isUnavailable(e: unknown): boolean {
  if (e instanceof SlipwayError) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (NET_CODES.has(code) || DOWN_STATES.has(code) || code.startsWith('08'))) return true;
  return e instanceof Error && DOWN_MESSAGES.test(e.message);
}

function unavailable(e: unknown, t: PostgresTarget): SlipwayError {
  const reason = e instanceof Error ? e.message : String(e);
  return new SlipwayError(
    'STORE',
    `the PostgreSQL store at ${describe(t)} is unavailable (${reason}); nothing of this request was written; try again: Slipway reconnects by itself once it answers`,
    { host: t.host, port: t.port, database: t.database },
    { cause: e },
  );
}

/**
 * The pool as Kysely sees it: a connection that cannot be had or that dies under a
 * statement fails with STORE (503, "unavailable … try again") instead of a bare driver
 * error, which the API would answer as a 500 bug. Other errors pass unchanged.
 */
export function storePool(pool: pg.Pool, t: PostgresTarget): PostgresPool {
  const translate = (e: unknown): never => {
    if (isUnavailable(e)) throw unavailable(e, t);
    // 22021: a value with a NUL character, which PostgreSQL text cannot hold (SQLite can): the
    // request's fault, not a bug. Nothing matches or is written.
    if ((e as { code?: unknown }).code === '22021') throw new SlipwayError('INVALID_INPUT', 'a value in the request holds a NUL character (\\u0000), which the PostgreSQL store cannot hold; remove it', { field: 'request' }, { cause: e });
    throw e;
  };
  return {
    connect: async () => {
      const client = await pool.connect().catch(translate);
      return new Proxy(client, {
        get(target, key, receiver) {
          if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
          return (...args: unknown[]) => {
            const out = (target.query as (...a: unknown[]) => unknown)(...args);
            // A cursor (streamed reads) is no promise: it reports its own errors.
            return out instanceof Promise ? out.catch(translate) : out;
          };
        },
      }) as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/**
 * One connection of its own (not the pool's), for work that holds a session: a lock, a look at
 * a database before a restore. A failure to connect names where and what to do; the server
 * ending the connection later makes its next query fail instead of ending the process.
 */
export async function connectClient(t: PostgresTarget, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: t.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: applicationName });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw connectionError(e, t);
  }
  return client;
}
