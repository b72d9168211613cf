/**
 * better-sqlite3 as Kysely's SqliteDatabase, with prepared statements kept by SQL text and
 * SQLite's operator-facing failures named (sqlite-errors.ts). Used by the main thread's
 * connection and by the commit thread's (commit-worker.ts).
 */
import type BetterSqlite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { sqliteFailure } from './sqlite-errors.js';

/**
 * Kysely prepares every query anew; the engine's commits repeat the same few statements,
 * so prepared statements are kept by SQL text (Kysely runs one query at a time on the
 * connection, so a cached statement is never in use twice).
 *
 * Transactions begin IMMEDIATE: two connections write this file (the commit thread's and
 * the main thread's), and a deferred transaction that read first (the audit chain's last
 * link) would fail with SQLITE_BUSY_SNAPSHOT when the other committed meanwhile, where an
 * immediate one waits for the write lock (busy_timeout) before it reads.
 */
export function cachingStatements(db: BetterSqlite.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite.Statement>();
  const named = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw sqliteFailure(e, db.name);
    }
  };
  return {
    close: () => db.close(),
    prepare(text: string) {
      const sqlText = /^\s*begin\s*$/i.test(text) ? 'begin immediate' : text;
      let st = cache.get(sqlText);
      if (st) {
        cache.delete(sqlText);
      } else {
        st = named(() => db.prepare(sqlText));
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, st);
      // SQLite rolls a transaction back by itself on some failures (SQLITE_FULL, SQLITE_IOERR);
      // Kysely's ROLLBACK would then fail and hide the failure that matters.
      if (/^\s*rollback\s*$/i.test(text)) return { reader: false, all: () => [], iterate: () => [][Symbol.iterator](), run: (p: ReadonlyArray<unknown>) => (db.inTransaction ? named(() => st.run(p)) : { changes: 0, lastInsertRowid: 0 }) };
      return failuresNamed(st, named);
    },
  };
}

/** The statement as Kysely uses it, with a locked database and a full disk named (sqlite-errors.ts). */
function failuresNamed(st: BetterSqlite.Statement, named: <T>(fn: () => T) => T): ReturnType<SqliteDatabase['prepare']> {
  return {
    reader: st.reader,
    all: (parameters: ReadonlyArray<unknown>) => named(() => st.all(parameters)),
    run: (parameters: ReadonlyArray<unknown>) => named(() => st.run(parameters)),
    iterate: (parameters: ReadonlyArray<unknown>) => named(() => st.iterate(parameters)),
  };
}
