/**
 * SQLite's own failures that an operator must act on, named for them: a database another
 * process holds locked, and a full disk. Each becomes a SlipwayError that names the file
 * (and the data directory), says what happened and that Slipway goes on once it is fixed;
 * nothing of the failed statement's transaction was written. Anything else passes as is.
 */
import { dirname } from 'node:path';
import { SlipwayError } from '../../core/errors.js';

const codeOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

export function sqliteFailure(e: unknown, file: string): unknown {
  const code = codeOf(e);
  if (code === undefined || e instanceof SlipwayError) return e;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new SlipwayError(
      'STORE',
      `the SQLite store ${file} is locked by another process (${code}): something outside Slipway holds a write lock on it, such as an sqlite3 shell inside a transaction; ` +
        'nothing was written; end that transaction (or that process) and Slipway goes on by itself',
      { file, sqlite: code },
      { cause: e },
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new SlipwayError(
      'STORE_FULL',
      `disk full: the SQLite store ${file} cannot grow because the disk holding the data directory ${dirname(file)} is full (${code}); ` +
        'nothing was written; free space there and Slipway goes on by itself',
      { file, dir: dirname(file), sqlite: code },
      { cause: e },
    );
  }
  return e;
}
