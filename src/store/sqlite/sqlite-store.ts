/**
 * The embedded store: one SQLite file through Kysely's SqliteDialect over better-sqlite3.
 * One writer at a time, no SKIP LOCKED, no LISTEN/NOTIFY. The engine's commits (and the
 * online backup) run on a thread of their own (commit-worker.ts) for a file store, so a
 * commit does not hold the event loop; reads and the rarer writes stay on this thread's
 * connection. An in-memory store cannot be shared with a thread and commits here.
 */
import type BetterSqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { AuditDraft, BackupInfo, NotificationRow, Store } from '../port.js';
import * as notify from '../sql/notifications.js';
import type { EncodedBatch } from '../sql/commit-batch.js';
import type { Database } from '../sql/schema.js';
import { SqlStore, migratedOrClosed, type SqlDialectProfile } from '../sql/sql-store.js';
import { openSqliteDatabase } from './connect.js';
import { backupSqlite } from './backup.js';
import { CommitThread } from './commit-thread.js';
import { cachingStatements } from './statements.js';

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
    /** Where the engine's commits run; undefined: on this thread. */
    private readonly thread?: CommitThread,
  ) {
    super(db, profile);
  }

  protected override async writeEncoded(rows: EncodedBatch, drafts: readonly AuditDraft[]): Promise<void> {
    if (!this.thread) return super.writeEncoded(rows, drafts);
    await this.thread.commit(rows, drafts);
  }

  /** On the commit thread: the notifier writes a transaction (and an fsync) per tick while events flow. */
  override enqueueNotifications = (rows: readonly NotificationRow[], cursors: readonly { name: string; value: number }[]): Promise<number> =>
    this.thread ? this.thread.enqueueNotifications(rows, cursors) : notify.enqueueNotifications(this.db, rows, cursors);

  async backup(toFile: string): Promise<BackupInfo> {
    // From the connection the engine writes through: a write by another connection restarts a backup.
    if (this.thread) return this.thread.backup(toFile);
    if (!this.raw) throw new Error('this SQLite store was built without its connection, so it cannot back up');
    return backupSqlite(this.raw, this.file, toFile);
  }

  override async close(): Promise<void> {
    try {
      await this.thread?.close();
    } finally {
      await super.close();
    }
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

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const raw = await openSqliteDatabase(opts.file);
  const database = cachingStatements(raw);
  const thread = raw.memory ? undefined : new CommitThread({ file: raw.name, maxParameters: sqliteProfile.maxParameters });
  const store = new SqliteStore(new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), sqliteProfile, raw, raw.name, thread);
  const migrated = await migratedOrClosed(store, opts.migrate ?? true);
  thread?.warm();
  return migrated;
}
