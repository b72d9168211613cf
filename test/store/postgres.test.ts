import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, openStore, type PostgresStore, type Store } from '../../src/store/index.js';
import { createTestDatabase, emptyDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { storeContract } from './store.case.js';

const skip = pgSkipReason() !== undefined;

// One clone of the migrated template for the file, emptied before each case (a clone per
// case would cost half a second each): the contract expects a migrated, empty store.
if (!skip) {
  let shared: Promise<TestDatabase> | undefined;
  afterAll(async () => {
    await (await shared)?.drop();
  });
  storeContract('postgres', async () => {
    const db = await (shared ??= createTestDatabase());
    await emptyDatabase(db.url);
    const opened: Store[] = [await openPostgresStore({ url: db.url })];
    return {
      store: opened[0]!,
      async reopen() {
        const store = await openPostgresStore({ url: db.url });
        opened.push(store);
        return store;
      },
      async cleanup() {
        for (const store of opened) await store.close();
      },
    };
  });
} else {
  describe.skip(`Store contract: postgres ${pgSkipNote()}`, () => {
    it('every case of store.case.ts', () => undefined);
  });
}

describe.skipIf(skip)(`PostgreSQL store ${pgSkipNote()}`, () => {
  let db: TestDatabase;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore({ url: `${db.url}?pool=3` });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('has concurrent writers, SKIP LOCKED and LISTEN/NOTIFY', () => {
    expect(store.capabilities).toStrictEqual({ concurrentWriters: true, skipLocked: true, listenNotify: true });
  });

  it('takes the pool size from the URL and compares text byte by byte whatever the database default', async () => {
    const s = await store.settings();
    expect(s.pool).toBe(3);
    expect(s.textCollations).toEqual(['C']);
  });

  it('opens through openStore from a postgres:// or postgresql:// URL, and a second migrate changes nothing', async () => {
    for (const url of [db.url, db.url.replace(/^postgres:/, 'postgresql:')]) {
      const other = await openStore(url);
      expect(other.capabilities.skipLocked).toBe(true);
      await other.migrate();
      await other.close();
    }
  });
});

describe.skipIf(skip)(`PostgreSQL store: one server per database ${pgSkipNote()}`, () => {
  it('a second server store on the same database is refused naming the holder, and may open once the first is closed', async () => {
    const db = await createTestDatabase();
    try {
      const first = await openPostgresStore({ url: db.url, exclusive: true });
      const refused = await openPostgresStore({ url: db.url, exclusive: true }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'STORE', message: expect.stringMatching(/is in use by 'slipway server pid \d+ on .*one Slipway server per database/) });
      // Tools that only read (and the tests' reopen) are not servers.
      const reader = await openPostgresStore({ url: db.url });
      await reader.close();
      await first.close();
      const second = await openPostgresStore({ url: db.url, exclusive: true });
      await second.close();
    } finally {
      await db.drop();
    }
  });
});

describe('PostgreSQL store: connection errors', () => {
  it('names host:port and the fix, never the password', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const error = await openPostgresStore({ url: `postgres://slipway:s3cret-pw@127.0.0.1:${port}/slipway` }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE', message: expect.stringContaining(`127.0.0.1:${port}`) });
    expect((error as Error).message).toMatch(/check that PostgreSQL runs there/);
    expect((error as Error).message).not.toContain('s3cret-pw');
    expect(JSON.stringify(error)).not.toContain('s3cret-pw');
  });

  it.skipIf(skip)('names a missing database and says to create it', async () => {
    const { PG_URL_ENV, withDatabase } = await import('../support/postgres.js');
    const url = withDatabase(process.env[PG_URL_ENV]!, 'slipway_no_such_db');
    await expect(openPostgresStore({ url })).rejects.toMatchObject({ code: 'STORE', message: expect.stringMatching(/database 'slipway_no_such_db'.*createdb slipway_no_such_db/) });
  });
});
