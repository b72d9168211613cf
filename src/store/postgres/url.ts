/**
 * Reads a PostgreSQL store URL. The URL is the libpq form
 * (`postgres://user:password@host:5432/db?sslmode=verify-full`) plus one Slipway parameter,
 * `pool=N`, which pg would not understand and is taken out before pg sees the URL. The
 * password never appears in a message: everything said about the URL uses `describe()`.
 * No `pg` import here: choosing a store (and every CLI start) does not load the driver.
 */
import { SlipwayError } from '../../core/errors.js';

export const DEFAULT_PG_POOL = 10;
/** How long opening waits for the first connection before it says where it could not connect. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresTarget {
  /** The URL as pg reads it (without `pool`). */
  connectionString: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** Connections the pool may hold. */
  pool: number;
}

const poolHint = "use a whole number from 1 to 1000, e.g. '?pool=20' or SLIPWAY_PG_POOL=20";

function poolSize(value: string, from: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 1000) {
    throw new SlipwayError('INVALID_INPUT', `the PostgreSQL pool size from ${from} is '${value}'; ${poolHint}`, { field: 'pool', value });
  }
  return n;
}

/** `pool` in the URL wins over SLIPWAY_PG_POOL, which wins over the default (10). */
export function parsePostgresUrl(url: string, env: Readonly<Record<string, string | undefined>> = {}): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch (e) {
    throw new SlipwayError('INVALID_INPUT', `the PostgreSQL store URL is not a URL; use postgres://user:password@host:5432/database`, { field: 'store' }, { cause: e });
  }
  const fromUrl = u.searchParams.get('pool');
  u.searchParams.delete('pool');
  const fromEnv = env['SLIPWAY_PG_POOL'];
  const pool =
    fromUrl !== null ? poolSize(fromUrl, "the store URL's 'pool' parameter") : fromEnv !== undefined && fromEnv !== '' ? poolSize(fromEnv, 'SLIPWAY_PG_POOL') : DEFAULT_PG_POOL;
  // A socket directory given as ?host=/run/postgresql wins over the URL's host, as in libpq.
  const host = u.searchParams.get('host') ?? (decodeURIComponent(u.hostname) || 'localhost');
  const port = Number(u.searchParams.get('port') ?? (u.port || 5432));
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  return { connectionString: u.toString(), host, port, database, user: decodeURIComponent(u.username) || '(default user)', pool };
}

/** Where a target points, for messages: host, port, database and user, never the password. */
export function describe(t: PostgresTarget): string {
  return `${t.host}:${t.port} (database '${t.database}', user '${t.user}')`;
}

export function connectionError(e: unknown, t: PostgresTarget): SlipwayError {
  const code = (e as { code?: unknown }).code;
  const reason = e instanceof Error ? e.message : String(e);
  const fix =
    code === '28P01' || code === '28000'
      ? 'check the user and password in the store URL'
      : code === '3D000'
        ? `create the database first (createdb ${t.database}) or name an existing one in the store URL`
        : 'check that PostgreSQL runs there and accepts TCP connections from this host (listen_addresses, pg_hba.conf), or fix --store / SLIPWAY_STORE';
  return new SlipwayError('STORE', `cannot connect to the PostgreSQL store at ${describe(t)}: ${reason}; ${fix}`, { host: t.host, port: t.port, database: t.database }, { cause: e });
}
