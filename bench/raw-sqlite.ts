/**
 * The reference: what this disk gives one writer doing one durable commit at a time,
 * measured with better-sqlite3 directly on a fresh file with the store's settings
 * (WAL, synchronous=FULL), one single-row INSERT per transaction.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface RawResult {
  commits: number;
  seconds: number;
  durableCommitsPerS: number;
}

export function measureRawCommits(dir: string, durationMs: number): RawResult {
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (payload) VALUES (?)');
    const one = db.transaction((payload: string) => insert.run(payload));
    const payload = 'x'.repeat(200);
    const start = performance.now();
    const end = start + durationMs;
    let commits = 0;
    let now = start;
    while (now < end) {
      one(payload);
      commits++;
      now = performance.now();
    }
    const seconds = (now - start) / 1000;
    return { commits, seconds, durableCommitsPerS: commits / seconds };
  } finally {
    db.close();
  }
}
