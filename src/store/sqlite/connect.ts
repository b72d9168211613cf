/**
 * Opens the SQLite file the embedded store lives in, with the settings durability rests
 * on: WAL (readers do not block the writer), synchronous=FULL (a commit that returned
 * survives power loss), foreign keys on, and a busy timeout for a second process
 * (the CLI reading while the server writes).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SlipwayError } from '../../core/errors.js';

export const BUSY_TIMEOUT_MS = 5000;

export async function openSqliteDatabase(file: string): Promise<Database.Database> {
  const inMemory = file === ':memory:';
  const path = inMemory ? file : resolve(file);
  try {
    if (!inMemory) await mkdir(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SlipwayError('STORE', `cannot open the SQLite store '${path}': ${reason}; check that the directory is writable`, { file: path }, { cause: e });
  }
}
