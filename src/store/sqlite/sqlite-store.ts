/**
 * The embedded store: one SQLite file through Kysely's SqliteDialect over better-sqlite3.
 * One writer at a time, no SKIP LOCKED, no LISTEN/NOTIFY.
 */
import type BetterSqlite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { BackupInfo, Store } from '../port.js';
import type { Database } from '../sql/schema.js';
import { SqlStore, migratedOrClosed, type SqlDialectProfile } from '../sql/sql-store.js';
import { openSqliteDatabase } from './connect.js';
import { backupSqlite } from './backup.js';
import { sqliteFailure } from './sqlite-errors.js';

export const sqliteProfile: SqlDialectProfile = {
  capabilities: { concurrentWriters: false, skipLocked: false, listenNotify: false },
  schema: { sequenceKey: 'autoincrement' },
  // SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite (3.32+).
  maxParameters: 32766,
  jsonField: (column, path) => sql`json_extract(${sql.ref(column)}, ${`$.${path.join('.')}`})`,
};

export interface SqliteStoreOptions {
  /** Path of the database file; its directory is created if missing. */
  file: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

/** The settings in effect on the store's connection, for diagnostics and tests. */
export interface SqliteSettings {
  journalMode: string;
  synchronous: 'off' | 'normal' | 'full' | 'extra';
  foreignKeys: boolean;
  busyTimeoutMs: number;
}

const synchronousNames = ['off', 'normal', 'full', 'extra'] as const;

export class SqliteStore extends SqlStore implements Store {
  constructor(
    db: Kysely<Database>,
    profile: SqlDialectProfile,
    /** The connection under Kysely, for what Kysely does not reach (the online backup); undefined for a store built without one. */
    private readonly raw?: BetterSqlite.Database,
    /** The database file (absolute), for messages. */
    readonly file = ':memory:',
  ) {
    super(db, profile);
  }

  async backup(toFile: string): Promise<BackupInfo> {
    if (!this.raw) throw new Error('this SQLite store was built without its connection, so it cannot back up');
    return backupSqlite(this.raw, this.file, toFile);
  }

  async settings(): Promise<SqliteSettings> {
    const one = async (pragma: string): Promise<unknown> => {
      const { rows } = await sql<Record<string, unknown>>`${sql.raw(`pragma ${pragma}`)}`.execute(this.db);
      return Object.values(rows[0] ?? {})[0];
    };
    return {
      journalMode: String(await one('journal_mode')),
      synchronous: synchronousNames[Number(await one('synchronous'))] ?? 'off',
      foreignKeys: Number(await one('foreign_keys')) === 1,
      busyTimeoutMs: Number(await one('busy_timeout')),
    };
  }
}

/**
 * Kysely prepares every query anew; the engine's commits repeat the same few statements,
 * so prepared statements are kept by SQL text (Kysely runs one query at a time on the
 * connection, so a cached statement is never in use twice).
 */
function cachingStatements(db: BetterSqlite.Database, max = 256): SqliteDatabase {
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
      let st = cache.get(text);
      if (st) {
        cache.delete(text);
      } else {
        st = named(() => db.prepare(text));
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, st);
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

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const raw = await openSqliteDatabase(opts.file);
  const database = cachingStatements(raw);
  const store = new SqliteStore(new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), sqliteProfile, raw, raw.name);
  return migratedOrClosed(store, opts.migrate ?? true);
}
