/**
 * The bench's PostgreSQL: a throwaway cluster started with the tests' own code
 * (test/support/postgres-cluster.ts), but with fsync on, as a production server runs, so
 * durable-commit figures mean what they say. Without Debian's binaries (or when the cluster
 * does not start) the PostgreSQL part is skipped and the reason is reported.
 */
import pg from 'pg';
import { postgresBinDir, startCluster, type Cluster } from '../test/support/postgres-cluster.js';
import { withDatabase } from '../test/support/postgres.js';

export type BenchCluster = { ok: true; cluster: Cluster; bin: string } | { ok: false; reason: string };

export async function startBenchCluster(): Promise<BenchCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) return { ok: false, reason: 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; Debian package postgresql; or set SLIPWAY_PG_BIN)' };
  try {
    return { ok: true, cluster: await startCluster(bin, { durable: true }), bin };
  } catch (e) {
    return { ok: false, reason: `a PostgreSQL cluster from ${bin} did not start: ${(e as Error).message.split('\n')[0] ?? ''}` };
  }
}

/** A fresh, empty database on the cluster; its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

export interface RawPgResult {
  ms: number;
  commits: number;
  durableCommitsPerS: number;
}

/**
 * The reference: one connection, one single-row INSERT per transaction (autocommit, so each
 * waits for its WAL flush: synchronous_commit on, fsync on), sequential, for `ms`.
 */
export async function measureRawPgCommits(url: string, ms: number): Promise<RawPgResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create table if not exists raw_commits (id bigint primary key, body text not null)');
    const insert = { name: 'raw-insert', text: 'insert into raw_commits (id, body) values ($1, $2)' };
    const body = JSON.stringify({ type: 'task.finished', taskId: 'r.t0.1', result: 'pass' });
    const start = performance.now();
    let commits = 0;
    while (performance.now() - start < ms) await client.query({ ...insert, values: [++commits, body] });
    const elapsed = performance.now() - start;
    return { ms: Math.round(elapsed), commits, durableCommitsPerS: (commits / elapsed) * 1000 };
  } finally {
    await client.end();
  }
}
