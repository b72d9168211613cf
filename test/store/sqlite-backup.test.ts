/**
 * The SQLite store's online backup: taken while commits keep landing, the copy is one
 * consistent moment (a prefix of the log, intact), and restore puts it back by rename,
 * refusing an existing store unless forced and a file that is no Slipway store.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSqliteBackup, openSqliteStore, restoreSqlite, type SqliteStore } from '../../src/store/index.js';
import { anEvent, batch } from './fixtures.js';

let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-backup-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SQLite backup and restore', () => {
  it('a backup taken while commits land holds a whole prefix of the log and passes integrity_check', async () => {
    for (let i = 0; i < 200; i++) await store.commit(batch({ events: [anEvent({ data: { i, pad: 'x'.repeat(2000) } })] }));
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        await store.commit(batch({ events: [anEvent({ data: { n: n++ } })] }));
        await new Promise((r) => setImmediate(r));
      }
      return n;
    })();
    const info = await store.backup(join(dir, 'copy.db'));
    writing = false;
    expect(await writer).toBeGreaterThan(0);
    expect(info).toMatchObject({ file: join(dir, 'copy.db'), format: 'sqlite' });
    expect(checkSqliteBackup(info.file).migrations).toBeGreaterThan(0);

    const copy = await openSqliteStore({ file: info.file, migrate: false });
    try {
      const seqs = (await copy.events({ limit: 100_000 })).map((e) => e.seq);
      expect(seqs.length).toBeGreaterThanOrEqual(200);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    } finally {
      await copy.close();
    }
  });

  it('restore refuses an existing store unless forced, and a file that is no Slipway store', async () => {
    await store.commit(batch({ events: [anEvent()] }));
    const info = await store.backup(join(dir, 'copy.db'));
    const target = join(dir, 'other', 'slipway.db');
    expect((await restoreSqlite(info.file, target)).migrations).toBeGreaterThan(0);
    await expect(restoreSqlite(info.file, target)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(restoreSqlite(info.file, target, { force: true })).resolves.toMatchObject({ file: target });
    await writeFile(join(dir, 'junk'), 'not sqlite');
    await expect(restoreSqlite(join(dir, 'junk'), join(dir, 'third', 'slipway.db'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/junk is not a usable Slipway backup/) });
    await expect(store.backup(join(dir, 'slipway.db'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
