/**
 * Which store the e2e servers use: SQLite in their data directory (the default), or, with
 * SLIPWAY_TEST_STORE=postgres, a PostgreSQL database of their own cloned from the run's
 * template (test/support/postgres.ts). A server started again in the same data directory
 * gets the same database, so restart scenarios hold. The run's end drops the databases.
 */
import { resolve } from 'node:path';
import { createTestDatabase, pgSkipReason, type TestDatabase } from '../../support/postgres.js';

export type E2eStore = 'sqlite' | 'postgres';

export function e2eStore(): E2eStore {
  return process.env['SLIPWAY_TEST_STORE'] === 'postgres' ? 'postgres' : 'sqlite';
}

const byDataDir = new Map<string, Promise<TestDatabase>>();

/** The data directory's own database (created on first use); asking for PostgreSQL where there is none fails saying why. */
export function databaseFor(dataDir: string): Promise<TestDatabase> {
  const reason = pgSkipReason();
  if (reason !== undefined) throw new Error(`SLIPWAY_TEST_STORE=postgres, but ${reason}`);
  const key = resolve(dataDir);
  let db = byDataDir.get(key);
  if (!db) byDataDir.set(key, (db = createTestDatabase()));
  return db;
}

/**
 * Options for `openSlipway` that put its store where SLIPWAY_TEST_STORE says: `{ store: url }`
 * (the data directory's own PostgreSQL database) on PostgreSQL, nothing on SQLite. For every
 * test helper that opens a Slipway in-process (api harness, hook server, slipwayHarness).
 */
export async function storeOptionFor(dataDir: string): Promise<{ store?: string }> {
  return e2eStore() === 'postgres' ? { store: (await databaseFor(dataDir)).url } : {};
}

/** `--store <url>` to add to `slipway server` args on PostgreSQL; nothing on SQLite or when the args or the env (SLIPWAY_STORE) name a store. */
export async function storeArgs(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<string[]> {
  if (e2eStore() !== 'postgres' || args.includes('--store') || env['SLIPWAY_STORE'] !== undefined) return [];
  const i = args.indexOf('--data');
  const data = i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : '.slipway';
  return ['--store', (await databaseFor(resolve(cwd, data))).url];
}

/**
 * Runs an e2e test file again on PostgreSQL, from a file of its own (its own worker, so the
 * store choice stays there): `await againOnPostgres('insights', () => import('./insights.test.js'))`.
 * Without PostgreSQL it registers one skipped test that says why. Superseded by the vitest project
 * `postgres`, which runs every such file again: a file calling this is left out of both projects
 * (test/support/store-projects.ts), since its target already runs on both stores.
 */
export async function againOnPostgres(what: string, load: () => Promise<unknown>): Promise<void> {
  const reason = pgSkipReason();
  if (reason !== undefined) {
    const { describe, it } = await import('vitest');
    describe.skip(`${what} on PostgreSQL (skipped: ${reason})`, () => {
      it('runs the same scenarios on PostgreSQL', () => undefined);
    });
    return;
  }
  process.env['SLIPWAY_TEST_STORE'] = 'postgres';
  await load();
}
