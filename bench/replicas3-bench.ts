/**
 * `pg.replicas3_ratio`: stage runs finished per second by 3 `slipway server` replicas on one
 * PostgreSQL ÷ by 1 replica on the same cluster, same load, same run (issue 13; target ≥ 2).
 * Each configuration gets a fresh database and its own real replica processes (the bench's
 * build of the CLI), loading P projects × 3 stages × S services, one `noop` task per stage.
 * The load (replicas3-load.ts) creates releases of one service each over HTTP, round-robin over
 * the replicas, keeping a fixed number unfinished (closed loop), for a warm-up and then a
 * measured window; the runs table (finished_at, state) says how many stage runs ended in it.
 * Replicas are active/standby today (one runs the engine, standbys forward), so the ratio is
 * about 1, reported with its reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { borrowBenchPg, createDatabase, type BenchPg } from './pg-cluster.js';
import { driveLoad, replicaRole, replicasProject, replicasService, type LoadPlan, type LoadResult } from './replicas3-load.js';
import { spawnReplica, type ReplicaProcess } from './replica-process.js';
import { round } from './stats.js';
import { chainPipeline } from './stress-project.js';

const TOKEN = 'slw_bench-replicas3-admin-token-0123456789';
export const STAGES = ['dev', 'staging', 'prod'] as const;

export type Replicas3Plan = Omit<LoadPlan, 'replicas' | 'stages' | 'token'> & {
  /** 1: one configuration after the other (1 replica, then 3); 2: 1, 3, 3, 1, so a machine getting busier or quieter favours neither. */
  rounds: 1 | 2;
};

// 32 clients against 64 unfinished releases: the clients wait on the cap (the engine's queues), not on their answers.
const load = { projects: 6, services: 4, concurrency: 32, unfinished: 64 };
export const REPLICAS3_PLANS: Record<'quick' | 'full', Replicas3Plan> = {
  quick: { ...load, warmupS: 1.5, measureS: 4, rounds: 1 },
  full: { ...load, warmupS: 5, measureS: 20, rounds: 2 },
};

export interface ConfigResult extends LoadResult {
  replicas: number;
  /** Seconds from spawning the replicas until one was active and every one answered through to it. */
  startS: number;
}

/** One configuration over its samples (each on a fresh database): means, and the sums that must be 0. */
export interface ConfigSummary {
  replicas: number;
  runsPerS: number;
  transitionsPerS: number;
  non201: number;
  runsNotSucceeded: number;
  /** Means over the samples that have them (null: none). */
  machineBusyCores: number | null;
  busiestReplicaCores: number | null;
  samples: ConfigResult[];
}

export interface Replicas3Result {
  plan: Replicas3Plan;
  one: ConfigSummary;
  three: ConfigSummary;
  ratio: number;
  /** The machine's cores. */
  cores: number;
}

export type Replicas3Outcome = Replicas3Result | { skipped: string };

function summary(samples: ConfigResult[]): ConfigSummary {
  const mean = (f: (c: ConfigResult) => number) => samples.reduce((a, c) => a + f(c), 0) / samples.length;
  const sum = (f: (c: ConfigResult) => number) => samples.reduce((a, c) => a + f(c), 0);
  const meanOf = (f: (c: ConfigResult) => number | null): number | null => {
    const xs = samples.map(f).filter((x): x is number => x !== null);
    return xs.length > 0 ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 2) : null;
  };
  return {
    replicas: samples[0]!.replicas,
    runsPerS: round(mean((c) => c.runsPerS), 1),
    transitionsPerS: round(mean((c) => c.transitionsPerS), 0),
    non201: sum((c) => c.non201),
    runsNotSucceeded: sum((c) => c.runsNotSucceeded),
    machineBusyCores: meanOf((c) => c.machineBusyCores),
    busiestReplicaCores: meanOf((c) => c.busiestReplicaCores),
    samples,
  };
}

function pipeline(project: string, services: number): string {
  return chainPipeline(project, Array.from({ length: services }, (_, i) => replicasService(i)), STAGES, '{name: work, kind: noop}');
}

type Replica = ReplicaProcess;

/** SIGTERM, then SIGKILL after 5 s; resolves when every process has exited. */
async function stopAll(replicas: readonly Replica[]): Promise<void> {
  await Promise.all(
    replicas.map(async (r) => {
      if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
      r.proc.kill('SIGTERM');
      const t = setTimeout(() => r.proc.kill('SIGKILL'), 5_000);
      await r.exited;
      clearTimeout(t);
    }),
  );
}

/** Waits until one replica says it is active and every replica answers an API read (standbys through the active one). */
async function ready(urls: readonly string[], project: string): Promise<void> {
  const until = performance.now() + 60_000;
  for (;;) {
    const roles = await Promise.all(urls.map((u) => replicaRole(u, TOKEN)));
    if (roles.includes('active')) {
      const reads = await Promise.all(urls.map((u) => fetch(`${u}/api/v1/projects/${project}/status`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.status, () => 0)));
      if (reads.every((s) => s === 200)) return;
    }
    if (performance.now() > until) throw new Error(`replicas3: no replica became active within 60 s (roles: ${roles.join(', ')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A configuration's replicas, started on their fresh database and ready for load. */
interface StartedConfig {
  n: number;
  name: string;
  store: string;
  dir: string;
  replicas: Replica[];
  urls: string[];
  startS: number;
}

/** Drops what a configuration left: its replicas, their data directories and its database. */
async function stopConfig(adminUrl: string, c: Pick<StartedConfig, 'name' | 'dir' | 'replicas'>): Promise<void> {
  await stopAll(c.replicas);
  rmSync(c.dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect().then(() => admin.query(`drop database if exists ${c.name} with (force)`)).catch(() => undefined);
  await admin.end().catch(() => undefined);
}

async function startConfig(adminUrl: string, root: string, files: string[], n: number, k: number, plan: Replicas3Plan, progress: (line: string) => void): Promise<StartedConfig> {
  const name = `slipway_bench_replicas${n}_${k}_${process.pid}`;
  const store = await createDatabase(adminUrl, name);
  const dir = mkdtempSync(join(root, `replicas${n}-`));
  const replicas: Replica[] = [];
  try {
    progress(`pg replicas: starting ${n} replica${n > 1 ? 's' : ''} on a fresh database, ${plan.projects} projects × ${STAGES.length} stages × ${plan.services} services, noop tasks …`);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) replicas.push(spawnReplica(dir, `r${i + 1}`, store, TOKEN, files));
    const urls = await Promise.all(replicas.map((r) => r.url));
    await ready(urls, replicasProject(0));
    return { n, name, store, dir, replicas, urls, startS: round((performance.now() - t0) / 1000, 1) };
  } catch (e) {
    await stopConfig(adminUrl, { name, dir, replicas });
    throw e;
  }
}

/** Measures a started configuration, then stops it and drops its database. */
async function measureConfig(adminUrl: string, c: StartedConfig, plan: Replicas3Plan, progress: (line: string) => void): Promise<ConfigResult> {
  const db = new pg.Client({ connectionString: c.store });
  try {
    await db.connect();
    const r = await driveLoad(db, { ...plan, replicas: c.urls, stages: STAGES, token: TOKEN, pids: c.replicas.map((x) => x.proc.pid!) });
    progress(`  ${c.n} replica${c.n > 1 ? 's' : ''} (started in ${c.startS} s): ${r.runsPerS} stage runs/s, ${r.transitionsPerS} transitions/s over ${r.measureS} s (${r.releasesCreated} releases created, ${r.meanUnfinished} unfinished on average; trigger p50 ${r.triggerP50Ms} ms, p99 ${r.triggerP99Ms} ms; answers ${JSON.stringify(r.statuses)}; machine ${r.machineBusyCores ?? '?'} of ${cpus().length} cores busy, busiest replica ${r.busiestReplicaCores ?? '?'} core)`);
    return { replicas: c.n, startS: c.startS, ...r };
  } finally {
    await db.end().catch(() => undefined);
    await stopConfig(adminUrl, c);
  }
}

const orderOf = (plan: Replicas3Plan): number[] => (plan.rounds === 1 ? [1, 3] : [1, 3, 3, 1]);

/**
 * `shared`: the run's PostgreSQL (run.ts), left running; default: a cluster of the part's own.
 * A cluster that does not start is a skip. Each configuration is started on a fresh database,
 * measured, and stopped before the next.
 */
export async function runReplicas3Bench(plan: Replicas3Plan, progress: (line: string) => void, shared?: BenchPg): Promise<Replicas3Outcome> {
  // The cluster's and the replicas' handles do not keep Node alive (failover-bench.ts: exit 13 with the await unsettled).
  const alive = setInterval(() => undefined, 1_000);
  const root = mkdtempSync(join(tmpdir(), 'slipway-bench-replicas3-'));
  const started = await borrowBenchPg(shared, progress);
  try {
    if ('skipped' in started) return started;
    const files = Array.from({ length: plan.projects }, (_, i) => {
      const file = join(root, `${replicasProject(i)}.yaml`);
      writeFileSync(file, pipeline(replicasProject(i), plan.services));
      return file;
    });
    const results: ConfigResult[] = [];
    for (const [k, n] of orderOf(plan).entries()) {
      const config = await startConfig(started.url, root, files, n, k, plan, progress);
      results.push(await measureConfig(started.url, config, plan, progress)); // it stops the configuration
    }
    const one = summary(results.filter((c) => c.replicas === 1));
    const three = summary(results.filter((c) => c.replicas === 3));
    return { plan, one, three, ratio: round(three.runsPerS / one.runsPerS, 2), cores: cpus().length };
  } finally {
    if (!('skipped' in started)) await started.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    clearInterval(alive);
  }
}
