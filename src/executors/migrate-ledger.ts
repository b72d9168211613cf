/**
 * The ledger of applied migrations lives in the TARGET database (`slipway_schema_migrations`),
 * not in Slipway's store: whatever happens to Slipway, the database itself says which
 * migrations it holds. A SQL file and its ledger row commit in one transaction, so a crash
 * leaves either both or neither, and a re-run finds it applied. SQLite (a file path) through
 * better-sqlite3, PostgreSQL (`postgres://…`) through pg, loaded on first use (a server that
 * migrates no PostgreSQL database does not load the driver: about 60 ms of its start).
 */
import Database from 'better-sqlite3';

export const LEDGER_TABLE = 'slipway_schema_migrations';

export interface LedgerRow {
  id: string;
  release: string;
  phase: string;
  service: string;
}

export interface Applied {
  /** False when the ledger already held the id: nothing ran. */
  applied: boolean;
  /** Rows in the ledger afterwards: the schema version the database is at. */
  schemaVersion: number;
}

export interface Ledger {
  /** Is `id` applied already? */
  has(id: string): Promise<boolean>;
  /** Runs `sql` (may be empty: record only) and records `row` in one transaction, unless `row.id` is there. */
  apply(row: LedgerRow, sql: string): Promise<Applied>;
  version(): Promise<number>;
  close(): Promise<void>;
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//.test(database);
}

export async function openLedger(database: string): Promise<Ledger> {
  return isPostgresUrl(database) ? openPostgres(database) : openSqlite(database);
}

const CREATE = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (id TEXT PRIMARY KEY, release TEXT NOT NULL, phase TEXT NOT NULL, service TEXT NOT NULL, applied_at TEXT NOT NULL)`;

function openSqlite(path: string): Ledger {
  const db = new Database(path);
  // The app under load holds the same file: wait for its writes instead of failing.
  db.pragma('busy_timeout = 10000');
  db.exec(CREATE);
  const has = db.prepare<[string], { id: string }>(`SELECT id FROM ${LEDGER_TABLE} WHERE id = ?`);
  const count = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${LEDGER_TABLE}`);
  const insert = db.prepare(`INSERT INTO ${LEDGER_TABLE} (id, release, phase, service, applied_at) VALUES (?, ?, ?, ?, ?)`);
  const version = (): number => count.get()!.n;
  const apply = db.transaction((row: LedgerRow, sql: string): Applied => {
    if (has.get(row.id)) return { applied: false, schemaVersion: version() };
    if (sql.trim() !== '') db.exec(sql);
    insert.run(row.id, row.release, row.phase, row.service, new Date().toISOString());
    return { applied: true, schemaVersion: version() };
  });
  return {
    has: (id) => Promise.resolve(has.get(id) !== undefined),
    // IMMEDIATE: take the write lock first, so the check and the change see the same database.
    apply: (row, sql) => Promise.resolve(apply.immediate(row, sql)),
    version: () => Promise.resolve(version()),
    close: () => Promise.resolve(void db.close()),
  };
}

async function openPostgres(url: string): Promise<Ledger> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  // A connection the server ends while the ledger is open (a restart, a dropped database)
  // fails the next statement; without a listener its 'error' event would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    // CREATE TABLE IF NOT EXISTS is not safe against a concurrent create in PostgreSQL (two
    // first migrations at once fail on pg_type's unique index): one creator at a time.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LEDGER_TABLE]);
    await client.query(CREATE);
    await client.query('COMMIT');
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  const version = async (): Promise<number> => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${LEDGER_TABLE}`)).rows[0]!.n);
  const has = async (id: string): Promise<boolean> => (await client.query(`SELECT 1 FROM ${LEDGER_TABLE} WHERE id = $1`, [id])).rowCount! > 0;
  return {
    has,
    async apply(row, sql) {
      await client.query('BEGIN');
      try {
        // Two Slipways (or a redelivery) applying the same id wait for each other here.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [row.id]);
        if (await has(row.id)) {
          await client.query('ROLLBACK');
          return { applied: false, schemaVersion: await version() };
        }
        if (sql.trim() !== '') await client.query(sql);
        await client.query(`INSERT INTO ${LEDGER_TABLE} (id, release, phase, service, applied_at) VALUES ($1, $2, $3, $4, $5)`, [row.id, row.release, row.phase, row.service, new Date().toISOString()]);
        await client.query('COMMIT');
        return { applied: true, schemaVersion: await version() };
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    },
    version,
    close: () => client.end(),
  };
}
