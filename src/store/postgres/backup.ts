/**
 * Backup and restore of the PostgreSQL store with PostgreSQL's own tools. A backup is
 * `pg_dump --format=custom` of the store's database: one snapshot transaction, so the file is
 * one consistent moment while the server keeps writing. Restore is `pg_restore` in a single
 * transaction into a database no one else is connected to: a failure half-way leaves the
 * database as it was. The `pg` driver is loaded only here, on use (the CLI does not pay for it).
 */
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import type { BackupInfo } from '../port.js';
import { runPgTool } from './backup-tools.js';
import { describe, parsePostgresUrl, type PostgresTarget } from './url.js';

export const PG_DUMP_FORMAT = 'pg_dump';
const MIGRATIONS_TABLE = 'slipway_migration';

type Env = Readonly<Record<string, string | undefined>>;

/** What a backup file is, from its first bytes: custom-format dumps start `PGDMP`, SQLite files `SQLite format 3`. */
export function backupFormatOf(file: string): 'pg_dump' | 'sqlite' | 'unknown' {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    const text = head.subarray(0, n).toString('latin1');
    return text.startsWith('PGDMP') ? 'pg_dump' : text.startsWith('SQLite format 3') ? 'sqlite' : 'unknown';
  } finally {
    closeSync(fd);
  }
}

/** `pg_dump -Fc` of the target's database into `toFile` (replaced if it exists; written beside it first). */
export async function backupPostgres(t: PostgresTarget, toFile: string, env: Env = process.env): Promise<BackupInfo> {
  const target = resolve(toFile);
  const tmp = `${target}.partial`;
  try {
    await mkdir(dirname(target), { recursive: true });
    rmSync(tmp, { force: true });
    await runPgTool('pg_dump', ['--format=custom', `--file=${tmp}`], { target: t, doing: `backing up the PostgreSQL store to ${target}`, env });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { file: target, bytes: (await stat(target)).size, format: PG_DUMP_FORMAT };
}

/** The same, for a store URL (the CLI's `slipway backup FILE --store postgres://…`). */
export async function backupPostgresUrl(url: string, toFile: string, env: Env = process.env): Promise<BackupInfo> {
  return backupPostgres(parsePostgresUrl(url, env), toFile, env);
}

/** Throws unless `file` is a custom-format dump holding a Slipway store; answers how many tables it holds. */
export async function checkPostgresBackup(file: string, env: Env = process.env): Promise<{ tables: number }> {
  const path = resolve(file);
  if (!existsSync(path)) throw new SlipwayError('INVALID_INPUT', `the backup file ${path} does not exist`, { field: 'file', value: file });
  const format = backupFormatOf(path);
  if (format !== 'pg_dump') {
    const why = format === 'sqlite' ? 'it is a backup of a SQLite store; restore it with --data DIR (without --store)' : "it is not a pg_dump custom-format file; take a new one with 'slipway backup FILE'";
    throw new SlipwayError('INVALID_INPUT', `${path} is not a usable backup of a PostgreSQL store: ${why}`, { field: 'file', value: file });
  }
  const list = await runPgTool('pg_restore', ['--list', path], { doing: `reading the backup ${path}`, env });
  const tables = list.split('\n').filter((l) => / TABLE \S+ \S+ /.test(l) && !l.startsWith(';'));
  if (!tables.some((l) => new RegExp(` TABLE \\S+ ${MIGRATIONS_TABLE} `).test(l))) {
    throw new SlipwayError('INVALID_INPUT', `${path} is not a usable Slipway backup: the dump has no ${MIGRATIONS_TABLE} table, so it is no Slipway store`, { field: 'file', value: file });
  }
  return { tables: tables.length };
}

interface Holdings {
  tables: string[];
  releases?: number;
  runs?: number;
  others: string[];
}

/** What the target database holds now, and who else is connected to it. */
async function inspect(t: PostgresTarget): Promise<Holdings> {
  const { connectClient } = await import('./connect.js');
  const client = await connectClient(t, 'slipway restore');
  try {
    const tables = (await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`)).rows.map((r) => r.name);
    const count = async (table: string) => (tables.includes(table) ? Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n ?? 0) : undefined);
    const others = (
      await client.query<{ who: string }>(
        `select coalesce(nullif(application_name, ''), 'a session without a name') || coalesce(' from ' || host(client_addr), '') as who
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      )
    ).rows.map((r) => r.who);
    const releases = await count('releases');
    const runs = await count('runs');
    return { tables, others, ...(releases !== undefined ? { releases } : {}), ...(runs !== undefined ? { runs } : {}) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function holdingsText(h: Holdings): string {
  const names = h.tables.slice(0, 6).join(', ') + (h.tables.length > 6 ? `, … (${h.tables.length} tables)` : '');
  const slipway = h.releases !== undefined ? `: a Slipway store with ${h.releases} releases and ${h.runs ?? 0} runs` : '';
  return `${names}${slipway}`;
}

/**
 * Restores `fromFile` into the database of `url`. The database must exist and have no other
 * connection (no server on it); with tables in it, `force` is needed, and then the objects
 * the backup holds are dropped and made again (`pg_restore --clean`).
 */
export async function restorePostgres(
  fromFile: string,
  url: string,
  opts: { force?: boolean; env?: Env } = {},
): Promise<{ file: string; bytes: number; tables: number; target: string; replaced: string | undefined }> {
  const env = opts.env ?? process.env;
  const { tables } = await checkPostgresBackup(fromFile, env);
  const t = parsePostgresUrl(url, env);
  const held = await inspect(t);
  if (held.others.length > 0) {
    throw new SlipwayError(
      'INVALID_STATE',
      `cannot restore into ${describe(t)}: ${held.others.length} other session(s) are connected to it (${[...new Set(held.others)].slice(0, 3).join('; ')}); stop the Slipway server(s) on it and close other connections first`,
      { host: t.host, port: t.port, database: t.database },
    );
  }
  if (held.tables.length > 0 && opts.force !== true) {
    throw new SlipwayError(
      'ALREADY_EXISTS',
      `the database ${describe(t)} is not empty; it holds ${holdingsText(held)}. Restoring would replace it: pass --force to replace it, or restore into an empty database (createdb NAME)`,
      { host: t.host, port: t.port, database: t.database, tables: held.tables.length },
    );
  }
  const path = resolve(fromFile);
  // No owner or grants from the old database: the restored objects belong to the role in the URL.
  const args = ['--single-transaction', '--exit-on-error', '--no-owner', '--no-privileges', ...(held.tables.length > 0 ? ['--clean', '--if-exists'] : []), path];
  await runPgTool('pg_restore', args, { target: t, doing: `restoring ${path} into the PostgreSQL store`, env });
  return { file: path, bytes: (await stat(path)).size, tables, target: describe(t), replaced: held.tables.length > 0 ? holdingsText(held) : undefined };
}
