/**
 * The PostgreSQL store: Kysely's PostgresDialect over a `pg` Pool. Same queries and
 * migrations as SQLite (src/store/sql, src/store/migrations); what differs is the profile
 * below and one step after migrating (byte-order text, see `useByteOrder`).
 */
import type pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { BackupInfo, Store } from '../port.js';
import type { Database } from '../sql/schema.js';
import { SqlStore, migratedOrClosed, type SqlDialectProfile } from '../sql/sql-store.js';
import { backupPostgres } from './backup.js';
import { checkConnection, createPool, storePool } from './connect.js';
import { parsePostgresUrl, type PostgresTarget } from './url.js';
import { holdDatabase, type DatabaseHold } from './server-lock.js';
import { PostgresLeases, fenceCheck } from './lease.js';
import type { CommitFence, LeaseBook } from '../port.js';

export const postgresProfile: SqlDialectProfile = {
  capabilities: { concurrentWriters: true, skipLocked: true, listenNotify: true },
  schema: { sequenceKey: 'identity' },
  // The wire protocol counts bind parameters in 16 bits.
  maxParameters: 65535,
  // Bodies are JSON text: cast, then read the member as text (`#>>`), as json_extract reads it in SQLite.
  jsonField: (column, path) => sql`(${sql.ref(column)}::json #>> ${`{${path.join(',')}}`})`,
};

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database[?pool=N&sslmode=…]` */
  url: string;
  /** Where SLIPWAY_PG_POOL is read (default: none; the CLI passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Hold the database alone while open, as a server does (server-lock.ts; default false). */
  exclusive?: boolean;
  /**
   * PostgreSQL ends a session left idle inside a transaction this long (replicas: a replica
   * frozen mid-commit must not hold the lease row's lock, and so the takeover, forever).
   */
  idleInTransactionMs?: number;
}

export class PostgresStore extends SqlStore implements Store {
  constructor(
    db: Kysely<Database>,
    readonly target: PostgresTarget,
    private readonly hold?: DatabaseHold,
  ) {
    super(db, postgresProfile);
    // Leases on a connection of their own: behind a pool busy with engine commits and reads, a
    // renewal could wait past the lease's expiry, and a loaded active replica would step down.
    this.leaseDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool({ ...target, pool: 1 }) }) });
    this.leases = new PostgresLeases(this.leaseDb, target.connectionString);
  }

  readonly leases: LeaseBook;
  private readonly leaseDb: Kysely<Database>;
  private leaseDbOpen = true;

  setFence(fence: CommitFence | undefined): void {
    this.fenceIn = fence ? (trx) => fenceCheck(trx, fence) : undefined;
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.leaseDbOpen) await this.leaseDb.destroy();
    this.leaseDbOpen = false;
    await this.hold?.release();
  }

  override async migrate(): Promise<void> {
    await super.migrate();
    await useByteOrder(this.db);
  }

  /** `pg_dump -Fc` of the store's database (backup.ts), taken while the server keeps writing. */
  async backup(toFile: string): Promise<BackupInfo> {
    return backupPostgres(this.target, toFile);
  }

  /** The pool's size and the server's version, for diagnostics and tests. */
  async settings(): Promise<{ pool: number; serverVersion: string; textCollations: string[] }> {
    const { rows } = await sql<{ v: string }>`show server_version`.execute(this.db);
    const collations = await sql<{ c: string | null }>`
      select distinct collation_name as c from information_schema.columns
      where table_schema = current_schema() and data_type = 'text'`.execute(this.db);
    return { pool: this.target.pool, serverVersion: rows[0]?.v ?? '', textCollations: collations.rows.map((r) => r.c ?? 'default').sort() };
  }
}

/**
 * Text columns compare byte by byte ("C"), as in SQLite, whatever the database's default
 * collation: ids and names then sort the same on both stores, and range reads over ids
 * (`<input>.` to `<input>/`, hooks.ts) hold; a linguistic collation (en_US) ignores
 * punctuation and would break them. Done after the migrations, so every migration stays
 * one text for both dialects; a column already in "C" is left alone, so a later start finds
 * nothing to change.
 */
async function useByteOrder(db: Kysely<Database>): Promise<void> {
  // pg_catalog rather than information_schema: the same answer, read in a fraction of the time.
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select c.relname as table_name, a.attname as column_name
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid and c.relkind = 'r'
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    left join pg_collation co on co.oid = a.attcollation
    where a.attnum > 0 and not a.attisdropped and a.atttypid = 'text'::regtype
      and coalesce(co.collname, '') <> 'C' and c.relname not like 'slipway_migration%'
    order by c.relname, a.attnum`.execute(db);
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const r of rows) {
      await sql`alter table ${sql.table(r.table_name)} alter column ${sql.ref(r.column_name)} type text collate "C"`.execute(trx);
    }
  });
}

/** Opens (and by default migrates) the store; a server that cannot be reached fails naming host:port and the fix. */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const target = parsePostgresUrl(opts.url, opts.env);
  const pool: pg.Pool = createPool(target, opts.idleInTransactionMs);
  let hold: DatabaseHold | undefined;
  try {
    await checkConnection(pool, target);
    if (opts.exclusive) hold = await holdDatabase(target);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const store = new PostgresStore(new Kysely<Database>({ dialect: new PostgresDialect({ pool: storePool(pool, target) }) }), target, hold);
  return migratedOrClosed(store, opts.migrate ?? true);
}
