/**
 * The bench's PostgreSQL: a throwaway cluster started with the tests' own code
 * (test/support/postgres-cluster.ts), but with fsync on, as a production server runs, so
 * durable-commit figures mean what they say. Without Debian's binaries (or when the cluster
 * does not start) the PostgreSQL part is skipped and the reason is reported.
 */
import pg from 'pg';
import { postgresBinDir, startCluster, type Cluster } from '../test/support/postgres-cluster.js';
import { withDatabase } from '../test/support/postgres.js';

/**
 * The PostgreSQL a bench part runs on: the server at SLIPWAY_BENCH_PG_URL (left running), or a
 * throwaway cluster (fsync on); or why there is none. `stop` stops what was started for it.
 * One bench run shares one (`npm run bench`: the pg, failover and replicas parts, each on
 * databases of its own), so quick does not pay for three initdb runs and cluster starts.
 */
export type BenchPg = { url: string; stop: () => Promise<void> } | { skipped: string };

export async function openBenchPg(progress: (line: string) => void): Promise<BenchPg> {
  const given = process.env['SLIPWAY_BENCH_PG_URL'];
  if (given) return { url: given, stop: () => Promise.resolve() };
  const bin = postgresBinDir();
  if (bin === undefined) return { skipped: 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; Debian package postgresql; or set SLIPWAY_PG_BIN)' };
  progress('PostgreSQL: starting a throwaway cluster (fsync on) …');
  let cluster: Cluster;
  try {
    cluster = await startCluster(bin, { durable: true });
  } catch (e) {
    return { skipped: `a PostgreSQL cluster from ${bin} did not start: ${(e as Error).message.split('\n')[0] ?? ''}` };
  }
  return {
    url: cluster.url,
    // The cluster's watchdog is unref'd (it must never keep a test runner alive), so waiting
    // for it alone would let the process end with the bench unfinished: hold it open.
    stop: async () => {
      const hold = setInterval(() => undefined, 1000);
      await cluster.stop().finally(() => clearInterval(hold));
    },
  };
}

/** `pg` for a part that must not stop it (its owner does), or a fresh one that the part stops. */
export const borrowBenchPg = async (pg: BenchPg | undefined, progress: (line: string) => void): Promise<BenchPg> =>
  pg === undefined ? openBenchPg(progress) : 'skipped' in pg ? pg : { url: pg.url, stop: () => Promise.resolve() };

/** The server's version, e.g. "15.14". */
export async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return ((await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '').split(' ')[0] ?? '';
  } finally {
    await client.end();
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
