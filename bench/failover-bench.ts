/**
 * `pg.failover_s`: two `slipway server` replicas on one PostgreSQL (real processes); the
 * active one is killed with -9 while a release is in flight, and the clock runs until a new
 * release triggered through the standby is accepted and its run starts: the engine moving
 * again on the other replica. Lease time 3 s (`--lease-ms`), so most of the figure is the
 * lease running out; the rest is the takeover (state recovery, re-dispatch). PostgreSQL: the
 * bench run's (run.ts), or a throwaway cluster from Debian's binaries, or SLIPWAY_BENCH_PG_URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { borrowBenchPg, type BenchPg } from './pg-cluster.js';
import { spawnReplica, type ReplicaProcess } from './replica-process.js';
import type { Report } from './report.js';

export const FAILOVER_TARGET_S = 5;
const LEASE_MS = 3_000;
const TOKEN = 'slw_bench-failover-admin-token-0123456789';

export interface FailoverResult {
  failoverS: number;
  samples: number[];
  leaseMs: number;
}

const post = (url: string, i: number) =>
  fetch(`${url}/api/v1/projects/fo/releases`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: { web: `web:${i}` } }), signal: AbortSignal.timeout(10_000) });

async function role(url: string): Promise<string | undefined> {
  const r = await fetch(`${url}/api/v1/system/replicas`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch(() => undefined);
  return r?.ok ? ((await r.json()) as { replica: { role: string } }).replica.role : undefined;
}

/** Which of the replicas holds the lease (one of them takes it within a few seconds of starting). */
async function activeOf(urls: readonly string[]): Promise<number> {
  const until = performance.now() + 30_000;
  for (;;) {
    const roles = await Promise.all(urls.map(role));
    const i = roles.indexOf('active');
    if (i >= 0) return i;
    if (performance.now() > until) throw new Error(`no replica became active within 30 s (roles: ${roles.join(', ')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sample(adminUrl: string, root: string, n: number): Promise<number> {
  const dir = mkdtempSync(join(root, `failover-${n}-`));
  const name = `slipway_bench_failover_${process.pid}_${n}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const procs: ReplicaProcess[] = [];
  try {
    writeFileSync(join(dir, 'pipeline.yaml'), `apiVersion: slipway/v1\nkind: Pipeline\nmetadata: {name: fo}\nspec:\n  services: [web]\n  stages:\n    - name: dev\n      tasks:\n        - {name: work, kind: shell, properties: {run: 'sleep 0.5'}}\n`);
    // Both start at once (a replica's start is about 2 CPU seconds); whichever takes the lease is killed.
    procs.push(spawnReplica(dir, 'A', u.toString(), TOKEN, ['--lease-ms', String(LEASE_MS), join(dir, 'pipeline.yaml')]));
    procs.push(spawnReplica(dir, 'B', u.toString(), TOKEN, ['--lease-ms', String(LEASE_MS), join(dir, 'pipeline.yaml')]));
    const urls = await Promise.all(procs.map((p) => p.url));
    const active = await activeOf(urls);
    const other = urls[1 - active]!;
    await post(other, 0);
    const t0 = performance.now();
    procs[active]!.proc.kill('SIGKILL');
    for (let i = 1; ; i++) {
      const r = await post(other, i).catch(() => undefined);
      if (r?.status === 201) break;
      if (performance.now() - t0 > 60_000) throw new Error('no takeover within 60 s');
      await new Promise((res) => setTimeout(res, 20));
    }
    return (performance.now() - t0) / 1000;
  } finally {
    for (const p of procs) p.proc.kill('SIGKILL');
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `shared`: the run's PostgreSQL (run.ts), left running; default: a cluster of the part's own.
 */
export async function runFailoverBench(samples: number, progress: (line: string) => void, shared?: BenchPg): Promise<FailoverResult | { skipped: string }> {
  // The replicas' pipes and fetches did not always keep the process alive: Node ended with the await unsettled (exit 13).
  const alive = setInterval(() => undefined, 1_000);
  const pg = await borrowBenchPg(shared, progress);
  if ('skipped' in pg) {
    clearInterval(alive);
    return pg;
  }
  const root = mkdtempSync(join(tmpdir(), 'slipway-bench-failover-'));
  try {
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      progress(`pg failover: kill -9 of the active replica, sample ${i + 1}/${samples} …`);
      times.push(await sample(pg.url, root, i));
    }
    const sorted = [...times].sort((x, y) => x - y);
    return { failoverS: Math.round(sorted[Math.floor(sorted.length / 2)]! * 100) / 100, samples: times.map((t) => Math.round(t * 100) / 100), leaseMs: LEASE_MS };
  } finally {
    rmSync(root, { recursive: true, force: true });
    await pg.stop();
    clearInterval(alive);
  }
}

/** The failover part as `npm run bench` runs it: one sample in quick, three in full. */
export function runFailover(mode: 'quick' | 'full', progress: (line: string) => void, shared?: BenchPg): Promise<FailoverResult | { skipped: string }> {
  return runFailoverBench(mode === 'quick' ? 1 : 3, progress, shared);
}

/** Adds `pg.failover_s` (median of the samples) and its target to a bench report (run.ts: one line). */
export function addFailover(report: Report, r: FailoverResult | { skipped: string }, progress: (line: string) => void): void {
  if ('skipped' in r) return progress(`pg failover: skipped: ${r.skipped}`);
  report.figures['pg.failover_s'] = r.failoverS;
  report.targets.push({ figure: 'pg.failover_s', value: r.failoverS, target: `< ${FAILOVER_TARGET_S} s from kill -9 of the active replica to a run accepted by the other (lease ${r.leaseMs} ms; samples ${r.samples.join(', ')} s)`, met: r.failoverS < FAILOVER_TARGET_S });
}
