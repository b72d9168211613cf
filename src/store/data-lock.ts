/**
 * One Slipway process per data directory. Two engines on one SQLite file would both
 * dispatch the same tasks, and both would try to reopen the local platform's routers on
 * the same ports. The lock is an exclusive SQLite lock on `<data>/slipway.lock`, held for
 * as long as the process keeps it: the operating system drops it when the holder dies
 * (even by kill -9), so a dead holder never blocks anyone. Who holds it is written beside
 * it, in `slipway.lock.json`, so the refusal can name the holder.
 *
 * Within one process the lock is re-entrant (a test that reopens a data directory it
 * never closed, or a restart simulated in-process, shares it).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { SlipwayError } from '../core/index.js';

export interface DataLock {
  readonly dir: string;
  /** Lets the lock go (idempotent). */
  release(): void;
}

export interface LockHolder {
  pid: number;
  command: string;
  host: string;
  since: string;
}

const LOCK_FILE = 'slipway.lock';
const HOLDER_FILE = 'slipway.lock.json';

interface Held {
  db: Database.Database;
  count: number;
}

const held = new Map<string, Held>();

/** Takes the data directory's lock, or throws DATA_DIR_LOCKED naming the process that holds it. */
export function lockDataDir(dir: string): DataLock {
  let h = held.get(dir);
  if (h) h.count++;
  else {
    h = { db: acquire(dir), count: 1 };
    held.set(dir, h);
    writeHolder(dir);
  }
  let released = false;
  return {
    dir,
    release() {
      if (released) return;
      released = true;
      const entry = held.get(dir);
      if (!entry || --entry.count > 0) return;
      held.delete(dir);
      // The note goes first: once the lock is free, the next holder writes its own.
      rmSync(join(dir, HOLDER_FILE), { force: true });
      entry.db.close();
    },
  };
}

function acquire(dir: string): Database.Database {
  const db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    const holder = readHolder(dir);
    throw new SlipwayError('DATA_DIR_LOCKED', refusal(dir, holder), { field: 'data', dir, ...(holder ? { holder } : {}) }, { cause: e });
  }
}

function refusal(dir: string, holder: LockHolder | undefined): string {
  const who = holder
    ? `pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}: \`${holder.command}\`, since ${holder.since}`
    : 'another Slipway process';
  return (
    `the data directory ${dir} is in use by ${who}. ` +
    'Only one Slipway process may use a data directory: stop that one first, pass another --data directory, ' +
    'or, if it is a server, drive it with `slipway trigger … --wait` instead of `slipway run`'
  );
}

export function readHolder(dir: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

function writeHolder(dir: string): void {
  const [, script, ...args] = process.argv;
  const name = script ? basename(script).replace(/\.js$/, '') : 'node';
  // A password in a store URL (`--store postgres://user:password@host/db`) is neither written beside the lock nor shown in refusals.
  const command = [name, ...args].join(' ').replace(/(\/\/[^\s/:@]+:)[^\s/@]+@/g, '$1***@');
  const holder: LockHolder = { pid: process.pid, command: command.slice(0, 300), host: hostname(), since: new Date().toISOString() };
  const tmp = join(dir, `${HOLDER_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  renameSync(tmp, join(dir, HOLDER_FILE));
}
