/**
 * The `migrate` task with its target database on PostgreSQL (docs/migrations.md): the SQL of
 * each phase runs once per stage, its ledger row commits in the same transaction (a failing
 * file leaves neither), a rerun finds the id and runs nothing, and two executors applying the
 * same id at once apply it once (the advisory lock per id). The target is a real database of
 * its own on the test cluster, not Slipway's store.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Finished } from '../../src/engine/executor.js';
import { createMigrateExecutor, LEDGER_TABLE, MockExecutorContext } from '../../src/executors/index.js';
import { PG_URL_ENV, adminQuery, pgSkipNote, pgSkipReason, testDatabasePrefix, withDatabase } from '../support/postgres.js';

let dir: string;
let target: string;
let name: string;
let client: pg.Client;

const query = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => (await client.query<T>(text)).rows;
const columns = async (table: string): Promise<string[]> =>
  (await query<{ c: string }>(`select column_name as c from information_schema.columns where table_name = '${table}' order by ordinal_position`)).map((r) => r.c);

function ctx(properties: Record<string, unknown>, opts: { attempt?: number; stage?: string; release?: string; artifact?: string } = {}): MockExecutorContext {
  const attempt = opts.attempt ?? 1;
  return new MockExecutorContext({
    task: { id: `run-${opts.stage ?? 'prod'}.${String(properties['phase'])}.${attempt}`, name: String(properties['phase']), kind: 'migrate', attempt, properties: { database: target, ...properties } },
    run: { projectDir: dir, artifacts: { web: opts.artifact ?? 'v2' }, releaseId: opts.release ?? 'R2', stage: opts.stage ?? 'prod', project: 'shop' },
    workDir: join(dir, 'work'),
  });
}

describe.skipIf(pgSkipReason() !== undefined)(`migrate task on a PostgreSQL target database ${pgSkipNote()}`, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-migrate-pg-'));
    // Release 2.0.0 renames items.name to items.title: expand adds and backfills, contract drops.
    mkdirSync(join(dir, 'v2', 'migrations'), { recursive: true });
    writeFileSync(join(dir, 'v2', 'migrations', 'expand.sql'), 'ALTER TABLE items ADD COLUMN title TEXT; UPDATE items SET title = name;');
    writeFileSync(join(dir, 'v2', 'migrations', 'contract.sql'), 'ALTER TABLE items DROP COLUMN name;');
    writeFileSync(join(dir, 'v2', 'bad.sql'), 'ALTER TABLE items ADD COLUMN title TEXT; UPDATE nope SET x = 1;');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    // An application database of its own (not a Slipway store): empty but for its table.
    name = `${testDatabasePrefix()}app_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await adminQuery(`create database ${name}`);
    target = withDatabase(process.env[PG_URL_ENV]!, name);
    client = new pg.Client({ connectionString: target });
    await client.connect();
    await client.query("CREATE TABLE items (name TEXT NOT NULL); INSERT INTO items VALUES ('a'), ('b')");
  });
  afterEach(async () => {
    await client.end();
    await adminQuery(`drop database if exists ${name} with (force)`);
  });

  it('runs expand and contract once per stage, each with its ledger row, and a rerun does nothing', async () => {
    const ex = createMigrateExecutor();
    const expand = (await ex.execute(ctx({ phase: 'expand' }))) as Finished;
    expect(expand.result).toBe('pass');
    expect(expand.output?.migration).toEqual({ phase: 'expand', service: 'web', id: 'shop/prod/web/R2/expand', applied: true, schemaVersion: 1, source: 'sql' });
    expect(await columns('items')).toEqual(['name', 'title']);
    expect((await query<{ title: string }>('select title from items order by name')).map((r) => r.title)).toEqual(['a', 'b']);

    // A retry or a rollback run in the same stage: found in the ledger, nothing runs (the
    // expand's ALTER would fail if it ran twice: the column exists).
    const again = (await ex.execute(ctx({ phase: 'expand' }, { attempt: 2 }))) as Finished;
    expect(again).toMatchObject({ result: 'pass', output: { migration: { applied: false, schemaVersion: 1 } } });
    expect(again.message).toContain('applied already');

    const contract = (await ex.execute(ctx({ phase: 'contract' }))) as Finished;
    expect(contract.output?.migration).toMatchObject({ phase: 'contract', id: 'shop/prod/web/R2/contract', applied: true, schemaVersion: 2 });
    expect(await columns('items')).toEqual(['title']);
    const contractAgain = (await ex.execute(ctx({ phase: 'contract' }, { attempt: 2 }))) as Finished;
    expect(contractAgain.output?.migration).toMatchObject({ applied: false, schemaVersion: 2 });

    expect(await query(`select id, release, phase, service from ${LEDGER_TABLE} order by applied_at, id`)).toEqual([
      { id: 'shop/prod/web/R2/expand', release: 'R2', phase: 'expand', service: 'web' },
      { id: 'shop/prod/web/R2/contract', release: 'R2', phase: 'contract', service: 'web' },
    ]);
    // The ledger's times are ISO UTC text, as on SQLite.
    for (const r of await query<{ applied_at: string }>(`select applied_at from ${LEDGER_TABLE}`)) expect(r.applied_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });

  it('another stage on its own database applies its own migration id (once per stage)', async () => {
    const ex = createMigrateExecutor();
    await ex.execute(ctx({ phase: 'expand' }, { stage: 'staging' }));
    // The same release's expand in prod is a migration of its own (its id names the stage).
    // Stages normally have databases of their own; here both share one, so prod's SQL is
    // written to be harmless on a database staging expanded already.
    writeFileSync(join(dir, 'v2', 'expand-idem.sql'), 'ALTER TABLE items ADD COLUMN IF NOT EXISTS title TEXT;');
    const prod = (await ex.execute(ctx({ phase: 'expand', expand: 'expand-idem.sql' }))) as Finished;
    expect(prod.output?.migration).toMatchObject({ id: 'shop/prod/web/R2/expand', applied: true, schemaVersion: 2 });
    expect((await query<{ id: string }>(`select id from ${LEDGER_TABLE} order by id`)).map((r) => r.id)).toEqual(['shop/prod/web/R2/expand', 'shop/staging/web/R2/expand']);
  });

  it('a failing SQL file leaves neither its changes nor a ledger row, and the fixed file applies after', async () => {
    const ex = createMigrateExecutor();
    await expect(ex.execute(ctx({ phase: 'expand', expand: 'bad.sql' }))).rejects.toThrow(/relation "nope" does not exist/);
    expect(await columns('items')).toEqual(['name']);
    expect(await query(`select * from ${LEDGER_TABLE}`)).toEqual([]);
    const fixed = (await ex.execute(ctx({ phase: 'expand' }, { attempt: 2 }))) as Finished;
    expect(fixed.output?.migration).toMatchObject({ applied: true, schemaVersion: 1 });
    expect(await columns('items')).toEqual(['name', 'title']);
  });

  it('four executors applying the same id at once, on a database without a ledger yet, apply it once', async () => {
    // A slow expand, so the others arrive while the first holds the id's lock. They also
    // create the ledger table at the same moment (a concurrent CREATE TABLE IF NOT EXISTS
    // failed on pg_type's unique index before the ledger took a lock for it).
    writeFileSync(join(dir, 'v2', 'slow.sql'), 'SELECT pg_sleep(0.5); ALTER TABLE items ADD COLUMN title TEXT;');
    const outcomes = await Promise.all([1, 2, 3, 4].map((attempt) => createMigrateExecutor().execute(ctx({ phase: 'expand', expand: 'slow.sql' }, { attempt })) as Promise<Finished>));
    const applied = outcomes.map((o) => (o.output?.migration as { applied: boolean }).applied).sort();
    expect(applied).toEqual([false, false, false, true]);
    expect(await columns('items')).toEqual(['name', 'title']);
    expect(await query(`select id from ${LEDGER_TABLE}`)).toEqual([{ id: 'shop/prod/web/R2/expand' }]);
  });

  it('an unreachable database fails the task naming it, without the password', async () => {
    const down = 'postgres://app:hunter2-pw@127.0.0.1:1/app';
    const err = await createMigrateExecutor()
      .execute(ctx({ phase: 'expand', database: down }))
      .then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/migrate task 'expand': cannot open the database/);
    expect(err?.message).not.toContain('hunter2-pw');
  });
});
