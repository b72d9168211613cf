import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finished } from '../../src/engine/executor.js';
import { createMigrateExecutor, LEDGER_TABLE, MockExecutorContext } from '../../src/executors/index.js';

let dir: string;
let dbFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-migrate-'));
  dbFile = join(dir, 'app.db');
  const db = new Database(dbFile);
  db.exec("CREATE TABLE items (name TEXT NOT NULL); INSERT INTO items VALUES ('a'), ('b')");
  db.close();
  // The release's artifact: a directory carrying its migrations.
  mkdirSync(join(dir, 'v2', 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'v2', 'migrations', 'expand.sql'), 'ALTER TABLE items ADD COLUMN title TEXT; UPDATE items SET title = name;');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ctx(properties: Record<string, unknown>, attempt = 1): MockExecutorContext {
  return new MockExecutorContext({
    task: { id: `run-1.expand.${attempt}`, name: 'expand', kind: 'migrate', attempt, properties: { database: dbFile, ...properties } },
    run: { projectDir: dir, artifacts: { web: 'v2' }, releaseId: 'R2', stage: 'prod', project: 'shop' },
    workDir: join(dir, 'work'),
  });
}

const query = <T>(sql: string): T[] => {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
};

describe('migrate executor', () => {
  it('applies the SQL the release carries once per stage, recording it in the target database', async () => {
    const ex = createMigrateExecutor();
    const first = (await ex.execute(ctx({ phase: 'expand' }))) as Finished;
    expect(first.result).toBe('pass');
    expect(first.output?.migration).toEqual({ phase: 'expand', service: 'web', id: 'shop/prod/web/R2/expand', applied: true, schemaVersion: 1, source: 'sql' });
    expect(query<{ title: string }>('SELECT title FROM items ORDER BY name').map((r) => r.title)).toEqual(['a', 'b']);
    // A second attempt (a retry, a rollback run) finds it in the ledger and runs nothing.
    const again = (await ex.execute(ctx({ phase: 'expand' }, 2))) as Finished;
    expect(again.output?.migration).toMatchObject({ applied: false, schemaVersion: 1 });
    expect(query(`SELECT id, release, phase, service FROM ${LEDGER_TABLE}`)).toEqual([{ id: 'shop/prod/web/R2/expand', release: 'R2', phase: 'expand', service: 'web' }]);
  });

  it('a failing SQL file leaves neither its changes nor a ledger row', async () => {
    writeFileSync(join(dir, 'v2', 'bad.sql'), 'ALTER TABLE items ADD COLUMN title TEXT; UPDATE nope SET x = 1;');
    await expect(createMigrateExecutor().execute(ctx({ phase: 'expand', expand: 'bad.sql' }))).rejects.toThrow(/no such table: nope/);
    expect(query<{ name: string }>('PRAGMA table_info(items)').map((c) => c.name)).toEqual(['name']);
    expect(query(`SELECT * FROM ${LEDGER_TABLE}`)).toEqual([]);
  });

  it('runs a command with the database and migration id in its environment, and not again once recorded', async () => {
    const count = join(dir, 'count');
    const run = `echo "$MIGRATION_ID $MIGRATION_PHASE $DATABASE_URL" >> ${count}`;
    const ex = createMigrateExecutor();
    const first = (await ex.execute(ctx({ phase: 'contract', contract: run }))) as Finished;
    expect(first.result).toBe('pass');
    expect(first.output?.migration).toMatchObject({ phase: 'contract', applied: true, source: 'command' });
    await ex.execute(ctx({ phase: 'contract', contract: run }, 2));
    expect(readFileSync(count, 'utf8').trim().split('\n')).toEqual([`shop/prod/web/R2/contract contract ${dbFile}`]);
  });

  it('passes with nothing to do when the release carries no migration for the phase', async () => {
    const out = (await createMigrateExecutor().execute(ctx({ phase: 'contract' }))) as Finished;
    expect(out).toMatchObject({ result: 'pass', output: { migration: { applied: false, source: 'none' } } });
  });

  it('refuses bad properties by name', () => {
    const problems = createMigrateExecutor().validate!({ phase: 'sideways' });
    expect(problems.map((p) => p.field)).toEqual(['phase', 'database']);
  });
});
