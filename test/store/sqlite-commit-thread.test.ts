/**
 * The SQLite store commits on a thread of its own (src/store/sqlite/commit-worker.ts) while
 * reads and the rarer writes stay on the caller's connection: what a commit wrote is read at
 * once, writes from both connections at the same moment all land (the audit chain stays one
 * unbroken chain), and stores on different files in one process keep to their own files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyStore } from '../../src/audit/index.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/index.js';
import { T0, anEvent, batch } from './fixtures.js';

let dir: string;
const opened: SqliteStore[] = [];

async function open(name = 'slipway.db'): Promise<SqliteStore> {
  const s = await openSqliteStore({ file: join(dir, name) });
  opened.push(s);
  return s;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-commit-thread-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SQLite commit thread', () => {
  it('what a commit wrote is read at once from the store, with the durable settings', async () => {
    const store = await open();
    for (let i = 1; i <= 20; i++) {
      const e = anEvent({ data: { i } });
      await store.commit(batch({ events: [e] }));
      expect(await store.lastEventSeq()).toBe(i);
      expect((await store.events({ afterSeq: i - 1 })).map((s) => s.event.id)).toEqual([e.id]);
    }
    expect(await store.settings()).toMatchObject({ journalMode: 'wal', synchronous: 'full' });
  });

  it('commits and audited changes sent at the same moment all land in one unbroken audit chain', async () => {
    const store = await open();
    const draft = (actor: string, i: number) => ({ at: T0 + i, actor, action: 'test.write', target: `${actor}-${i}` });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      // The commit thread's connection and the store's own write the chain at once.
      work.push(store.commit(batch({ events: [anEvent({ data: { i } })], audit: [draft('engine', i)] })));
      work.push(store.appendAudit([draft('direct', i)]));
      work.push(store.addToken({ id: `t${i}`, name: `token-${i}`, hash: `h${i}`, scopes: ['read'], createdAt: T0 }, draft('token', i)));
    }
    await Promise.all(work);
    const chain = await verifyStore(store);
    expect(chain).toMatchObject({ ok: true, rows: 180 });
    expect(await store.lastEventSeq()).toBe(60);
    expect(await store.listTokens()).toHaveLength(60);
  });

  it('stores on two files in one process each commit to their own file, and one closing leaves the other working', async () => {
    const a = await open('a.db');
    const b = await open('b.db');
    await a.commit(batch({ events: [anEvent({ data: { to: 'a' } })] }));
    await b.commit(batch({ events: [anEvent({ data: { to: 'b' } }), anEvent({ data: { to: 'b' } })] }));
    await a.close();
    await b.commit(batch({ events: [anEvent({ data: { to: 'b' } })] }));
    const count = (file: string) => {
      const db = new Database(join(dir, file), { readonly: true });
      try {
        return (db.prepare('select count(*) as n from events').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(count('a.db')).toBe(1);
    expect(count('b.db')).toBe(3);
    // Reopened on the same file, a store commits on a new connection there.
    const again = await open('a.db');
    await again.commit(batch({ events: [anEvent({ data: { to: 'a' } })] }));
    expect(await again.lastEventSeq()).toBe(2);
  });
});
