/**
 * Chooses the store from one setting: `sqlite:<file>`, a directory for `<dir>/slipway.db`,
 * or a PostgreSQL URL (`postgres://` or `postgresql://`).
 */
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Store } from './port.js';
import type { PostgresStore, PostgresStoreOptions } from './postgres/postgres-store.js';
import { describe as describePostgresTarget, parsePostgresUrl } from './postgres/url.js';
import { openSqliteStore } from './sqlite/index.js';

export const DEFAULT_SQLITE_FILE = 'slipway.db';

const supported = "use 'sqlite:<file>', a directory (the store is then '<dir>/slipway.db') or 'postgres://user:password@host:5432/database'";

export type StoreTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; where: string; pool: number };

export interface OpenStoreOptions {
  /** Where SLIPWAY_PG_POOL is read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A server's store: PostgreSQL refuses a second server on the same database (SQLite's data directory lock does that there). */
  exclusive?: boolean;
  /** PostgreSQL: end sessions idle inside a transaction this long (replicas; postgres-store.ts). */
  idleInTransactionMs?: number;
}

/** Where a store URL points, without opening anything. A PostgreSQL URL's password is never repeated in a message. */
export function parseStoreUrl(url: string, opts: OpenStoreOptions = {}): StoreTarget {
  const value = url.trim();
  if (value === '') throw new SlipwayError('INVALID_INPUT', `the store location is empty; ${supported}`, { field: 'store' });
  // Two or more letters, so a Windows drive (`C:\data`) reads as a path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', file: join(value, DEFAULT_SQLITE_FILE) };
  if (scheme === 'sqlite') {
    // `sqlite:///abs/file.db` (URL style) and `sqlite:rel/file.db` both name a file.
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new SlipwayError('INVALID_INPUT', `the store '${url}' names no file; ${supported}`, { field: 'store', value: url });
    return { kind: 'sqlite', file };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const target = parsePostgresUrl(value, opts.env ?? process.env);
    return { kind: 'postgres', url: value, where: describePostgresTarget(target), pool: target.pool };
  }
  throw new SlipwayError('INVALID_INPUT', `the store '${url}' uses the unsupported scheme '${scheme}:'; ${supported}`, {
    field: 'store',
    value: url,
  });
}

/** Loads the pg driver on first use: a SQLite server or a CLI command never pays for it. */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const postgres = await import('./postgres/postgres-store.js');
  return postgres.openPostgresStore(opts);
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const target = parseStoreUrl(url, opts);
  if (target.kind === 'postgres') return openPostgresStore({ url: target.url, env: opts.env ?? process.env, exclusive: opts.exclusive ?? false, ...(opts.idleInTransactionMs !== undefined ? { idleInTransactionMs: opts.idleInTransactionMs } : {}) });
  return openSqliteStore({ file: target.file });
}
