import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { storeContract } from './store.case.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'slipway-store-'));
}

storeContract('sqlite', async () => {
  const dir = await tempDir();
  const file = join(dir, 'nested', 'slipway.db');
  const opened: Store[] = [await openSqliteStore({ file })];
  return {
    store: opened[0]!,
    async reopen() {
      const store = await openSqliteStore({ file });
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs with WAL, synchronous=FULL, foreign keys and a busy timeout', async () => {
    const store = await openSqliteStore({ file: join(dir, 'slipway.db') });
    try {
      expect(await store.settings()).toStrictEqual({ journalMode: 'wal', synchronous: 'full', foreignKeys: true, busyTimeoutMs: 5000 });
      await expect(stat(join(dir, 'slipway.db-wal'))).resolves.toBeDefined();
    } finally {
      await store.close();
    }
  });

  it('has one writer, no SKIP LOCKED and no LISTEN/NOTIFY', async () => {
    const store = await openSqliteStore({ file: join(dir, 'slipway.db') });
    expect(store.capabilities).toStrictEqual({ concurrentWriters: false, skipLocked: false, listenNotify: false });
    await store.close();
  });

  it('creates missing parent directories', async () => {
    const file = join(dir, 'a', 'b', 'c', 'slipway.db');
    const store = await openSqliteStore({ file });
    await store.close();
    expect((await stat(file)).isFile()).toBe(true);
  });

  it('reports a file it cannot open as a STORE error naming the path', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'not a directory');
    const file = join(blocker, 'slipway.db');
    await expect(openSqliteStore({ file })).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining(file) });
  });
});

describe('SQLite store: run specs', () => {
  it('writes a run spec once, however often the run is rewritten, and reads it back with the run', async () => {
    const { aRun, batch } = await import('./fixtures.js');
    const Database = (await import('better-sqlite3')).default;
    const dir = await mkdtemp(join(tmpdir(), 'slipway-specs-'));
    const file = join(dir, 'slipway.db');
    const store = await openSqliteStore({ file });
    const run = aRun({ id: 'run-spec' });
    for (const state of ['queued', 'running', 'succeeded'] as const) await store.commit(batch({ runs: [{ ...run, state }] }));
    expect((await store.getRun('run-spec'))?.spec).toEqual(run.spec);
    expect((await store.listRuns({}))[0]?.spec).toEqual(run.spec);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('select count(*) as n from run_specs').get()).toEqual({ n: 1 });
      const body = db.prepare('select body from runs where id = ?').get('run-spec') as { body: string };
      expect(JSON.parse(body.body)).not.toHaveProperty('spec');
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
