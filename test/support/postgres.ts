/**
 * PostgreSQL for tests. One cluster serves the whole vitest run (postgres-global-setup.ts
 * starts it, or takes SLIPWAY_TEST_PG_URL from outside) with a migrated template database;
 * each test file or test clones the template (`create database … template …`, a few ms)
 * and drops its clone afterwards (a clone costs about half a second: a file clones once and
 * empties its database between tests with `emptyDatabase`, a few ms).
 *
 *   describe.skipIf(pgSkipReason() !== undefined)(`… ${pgSkipNote()}`, () => { … })
 *   const db = await createTestDatabase();   // db.url: a migrated, empty store
 *   await db.drop();
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const PG_URL_ENV = 'SLIPWAY_TEST_PG_URL';
export const PG_TEMPLATE_ENV = 'SLIPWAY_TEST_PG_TEMPLATE';
export const PG_SKIP_ENV = 'SLIPWAY_TEST_PG_SKIP';

/** Why the PostgreSQL tests cannot run here, or undefined when a cluster is there. */
export function pgSkipReason(): string | undefined {
  const reason = process.env[PG_SKIP_ENV];
  if (reason) return reason;
  if (!process.env[PG_URL_ENV] || !process.env[PG_TEMPLATE_ENV]) return `no PostgreSQL: ${PG_URL_ENV} is not set (the vitest globalSetup test/support/postgres-global-setup.ts sets it)`;
  return undefined;
}

/** For a describe title: empty when PostgreSQL is there, else `(skipped: why)`. */
export function pgSkipNote(): string {
  const reason = pgSkipReason();
  return reason === undefined ? '' : `(skipped: ${reason})`;
}

/** The same server and credentials as `url`, database `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(text: string, url = process.env[PG_URL_ENV]!): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  /** A migrated, empty Slipway store. */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** The names of this run's test databases start with this. */
export function testDatabasePrefix(template = process.env[PG_TEMPLATE_ENV] ?? ''): string {
  return `slipway_t_${template.replace(/^slipway_template_/, '')}_`;
}

/** A fresh clone of the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const reason = pgSkipReason();
  if (reason !== undefined) throw new Error(`PostgreSQL is not available: ${reason}`);
  const admin = process.env[PG_URL_ENV]!;
  // Named after the run (its template's suffix), so the run's end drops what a test left behind.
  const name = `${testDatabasePrefix()}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await adminQuery(`create database ${name} template ${process.env[PG_TEMPLATE_ENV]!}`, admin);
  return {
    name,
    url: withDatabase(admin, name),
    drop: async () => {
      await adminQuery(`drop database if exists ${name} with (force)`, admin);
    },
  };
}

/**
 * Empties every Slipway table (not the migration bookkeeping) and restarts generated keys: a
 * migrated, empty store again. Only tables holding rows are truncated (a truncate makes new
 * files; most cases touch few tables), in one round trip.
 */
export async function emptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`do $$
      declare t text; names text[] := '{}'; s text;
      begin
        for t in select quote_ident(tablename) from pg_tables where schemaname = current_schema() and tablename not like 'slipway_migration%' loop
          execute format('select exists (select 1 from %s)', t) into s;
          if s::boolean then names := names || t; end if;
        end loop;
        if array_length(names, 1) > 0 then execute 'truncate ' || array_to_string(names, ', '); end if;
        for s in select quote_ident(sequencename) from pg_sequences where schemaname = current_schema() and last_value is not null loop
          execute 'alter sequence ' || s || ' restart';
        end loop;
      end $$`);
  } finally {
    await client.end();
  }
}
