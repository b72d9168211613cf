/**
 * The commit thread: the engine's writes to SQLite files, on connections of their own.
 * better-sqlite3 is synchronous, so a commit on the main thread (its statements, the WAL
 * append, the fsync of synchronous=FULL) held the event loop, and every HTTP read waited
 * behind it. Here a commit takes this thread; the main thread's connection goes on reading
 * the last committed state (WAL lets readers run beside the writer). Settings are the
 * store's (connect.ts): durability does not change. The online backup runs here too, so
 * the engine's writes go through the connection it copies from and do not restart it. The
 * notifier's queue writes (a transaction per tick while events flow) come here as well.
 * One thread serves every store of the process, a connection per store (`conn`).
 */
import { parentPort } from 'node:worker_threads';
import type BetterSqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { appendAuditIn } from '../sql/audit.js';
import { writeBatch } from '../sql/commit-batch.js';
import { enqueueNotifications } from '../sql/notifications.js';
import type { Database } from '../sql/schema.js';
import { backupSqlite } from './backup.js';
import { errorOut, type CommitReply, type CommitRequest } from './commit-protocol.js';
import { openSqliteDatabase } from './connect.js';
import { cachingStatements } from './statements.js';

const port = parentPort!;

interface Conn {
  opened: Promise<{ raw: BetterSqlite.Database; db: Kysely<Database> }>;
  maxParameters: number;
  /** Commits and close one at a time, in the order sent (the engine's commits already come one after another). */
  chain: Promise<unknown>;
  /** Backups in progress: they run beside the commits (a step per turn), and close waits for them. */
  backups: Set<Promise<unknown>>;
}

const conns = new Map<number, Conn>();

async function handle(c: Conn, m: CommitRequest): Promise<CommitReply> {
  const { raw, db } = await c.opened;
  switch (m.op) {
    case 'open':
      return { id: m.id, ok: true };
    case 'commit':
      await db.transaction().execute(async (trx) => {
        await writeBatch(trx, m.rows, c.maxParameters);
        // Sealed last, after the effects they record: the chain link is read inside this transaction.
        await appendAuditIn(trx, m.audit, false);
      });
      return { id: m.id, ok: true };
    case 'backup':
      return { id: m.id, ok: true, backup: await backupSqlite(raw, raw.name, m.toFile) };
    case 'notify':
      return { id: m.id, ok: true, added: await enqueueNotifications(db, m.rows, m.cursors) };
    case 'close':
      await Promise.allSettled([...c.backups]);
      conns.delete(m.conn);
      await db.destroy();
      return { id: m.id, ok: true };
  }
}

async function answer(c: Conn, m: CommitRequest): Promise<void> {
  let reply: CommitReply;
  try {
    reply = await handle(c, m);
  } catch (e) {
    reply = { id: m.id, ok: false, error: errorOut(e) };
  }
  port.postMessage(reply);
}

port.on('message', (m: CommitRequest) => {
  let c = conns.get(m.conn);
  if (m.op === 'open') {
    const opened = openSqliteDatabase(m.file).then((raw) => ({ raw, db: new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) }) }));
    // A failure to open is answered to each request (as the error it is), not thrown into the void.
    opened.catch(() => undefined);
    c = { opened, maxParameters: m.maxParameters, chain: Promise.resolve(), backups: new Set() };
    conns.set(m.conn, c);
  }
  if (!c) {
    port.postMessage({ id: m.id, ok: false, error: { message: `no connection ${m.conn} on the SQLite commit thread` } } satisfies CommitReply);
    return;
  }
  const conn = c;
  if (m.op === 'backup') {
    const running = answer(conn, m).finally(() => conn.backups.delete(running));
    conn.backups.add(running);
    return;
  }
  conn.chain = conn.chain.then(() => answer(conn, m));
});
