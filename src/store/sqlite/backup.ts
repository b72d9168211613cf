/**
 * Backup and restore of the embedded store. A backup is SQLite's online backup: pages are
 * copied in steps while the server keeps writing through the same connection, and SQLite
 * carries those writes into the copy, so the file is one consistent moment of the store.
 * Restore is offline: it checks the file is a whole Slipway store, then puts it in place
 * of `<data>/slipway.db` by rename, so a crash half-way leaves the old store or the new one.
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SlipwayError } from '../../core/errors.js';
import type { BackupInfo } from '../port.js';

const MIGRATIONS_TABLE = 'slipway_migration';

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Copies the open database to `toFile` (replaced if it exists) while it stays in use. */
export async function backupSqlite(db: Database.Database, source: string, toFile: string): Promise<BackupInfo> {
  const target = resolve(toFile);
  if (target === resolve(source)) {
    throw new SlipwayError('INVALID_INPUT', `the backup file ${target} is the store itself; name another file`, { field: 'file', value: toFile });
  }
  const tmp = `${target}.partial`;
  try {
    await mkdir(dirname(target), { recursive: true });
    rmSync(tmp, { force: true });
    // Big steps: the copy restarts when another connection writes, and ours do not restart it.
    await db.backup(tmp, { progress: () => 1024 });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    const full = (e as { code?: string }).code === 'SQLITE_FULL' || (e as { code?: string }).code === 'ENOSPC';
    const why = full ? `the disk holding ${dirname(target)} is full` : reasonOf(e);
    throw new SlipwayError('STORE', `cannot back up the SQLite store ${source} to ${target}: ${why}; free space or name another file`, { file: target }, { cause: e });
  }
  return { file: target, bytes: (await stat(target)).size, format: 'sqlite' };
}

/** Throws unless `file` is a readable, intact SQLite database holding a Slipway store. */
export function checkSqliteBackup(file: string): { migrations: number } {
  const path = resolve(file);
  if (!existsSync(path)) throw new SlipwayError('INVALID_INPUT', `the backup file ${path} does not exist`, { field: 'file', value: file });
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const check = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = check.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length > 0) throw new Error(`integrity_check: ${problems.slice(0, 3).join('; ')}`);
    const table = db.prepare(`select name from sqlite_master where type = 'table' and name = ?`).get(MIGRATIONS_TABLE);
    if (!table) throw new Error(`it has no ${MIGRATIONS_TABLE} table, so it is no Slipway store`);
    const { n } = db.prepare(`select count(*) as n from ${MIGRATIONS_TABLE}`).get() as { n: number };
    return { migrations: n };
  } catch (e) {
    if (e instanceof SlipwayError) throw e;
    throw new SlipwayError('INVALID_INPUT', `${path} is not a usable Slipway backup: ${reasonOf(e)}; take a new one with 'slipway backup FILE'`, { field: 'file', value: file }, { cause: e });
  } finally {
    db?.close();
  }
}

/**
 * Puts the backup `fromFile` in place as the store file `dbFile`. The caller holds the data
 * directory's lock (no server runs on it). Refuses to replace an existing store unless `force`.
 */
export async function restoreSqlite(fromFile: string, dbFile: string, opts: { force?: boolean } = {}): Promise<{ file: string; bytes: number; migrations: number }> {
  const { migrations } = checkSqliteBackup(fromFile);
  const target = resolve(dbFile);
  if (existsSync(target) && statSync(target).size > 0 && !opts.force) {
    throw new SlipwayError('ALREADY_EXISTS', `a store exists already at ${target}; restoring would replace it. Pass --force to replace it, or restore into an empty --data directory`, { field: 'data', file: target });
  }
  const tmp = `${target}.restore`;
  try {
    await mkdir(dirname(target), { recursive: true });
    await copyFile(resolve(fromFile), tmp);
    // The old store's write-ahead log belongs to the old file: left beside the new one, SQLite would replay it into it.
    for (const side of ['-wal', '-shm', '-journal']) rmSync(`${target}${side}`, { force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new SlipwayError('STORE', `cannot restore ${resolve(fromFile)} to ${target}: ${reasonOf(e)}`, { file: target }, { cause: e });
  }
  return { file: target, bytes: statSync(target).size, migrations };
}
