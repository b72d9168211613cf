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
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabase, startBenchCluster } from './pg-cluster.js';
import { driveLoad, replicaRole, replicasProject, replicasService, type LoadPlan, type LoadResult } from './replicas3-load.js';
import type { Report } from './report.js';
import { round } from './stats.js';

export const REPLICAS3_TARGET = 2;
export const REPLICAS3_REASON = 'one active replica runs the engine; partitioned leases per project group not built';
const TOKEN = 'slw_bench-replicas3-admin-token-0123456789';
const CLI = fileURLToPath(new URL('./failover-replica.js', import.meta.url));
export const STAGES = ['dev', 'staging', 'prod'] as const;

export type Replicas3Plan = Omit<LoadPlan, 'replicas' | 'stages' | 'token'>;

export const REPLICAS3_PLANS: Record<'quick' | 'full', Replicas3Plan> = {
  quick: { projects: 6, services: 4, concurrency: 16, unfinished: 64, warmupS: 2, measureS: 6 },
  full: { projects: 6, services: 4, concurrency: 16, unfinished: 64, warmupS: 5, measureS: 30 },
};

export interface ConfigResult extends LoadResult {
  replicas: number;
  /** Seconds from spawning the replicas until one was active and every one answered through to it. */
  startS: number;
}

export interface Replicas3Result {
  plan: Replicas3Plan;
  one: ConfigResult;
  three: ConfigResult;
  ratio: number;
}

export type Replicas3Outcome = Replicas3Result | { skipped: string };

function pipeline(project: string, services: number): string {
  const lines = ['apiVersion: slipway/v1', 'kind: Pipeline', `metadata: {name: ${project}}`, 'spec:', `  services: [${Array.from({ length: services }, (_, i) => replicasService(i)).join(', ')}]`, '  stages:'];
  STAGES.forEach((stage, i) => {
    lines.push(`    - name: ${stage}`);
    if (i > 0) lines.push(`      after: [${STAGES[i - 1]}]`);
    lines.push('      tasks:', '        - {name: work, kind: noop}');
  });
  return `${lines.join('\n')}\n`;
}

interface Replica {
  proc: ChildProcess;
  url: Promise<string>;
  exited: Promise<void>;
}

function startReplica(dir: string, name: string, store: string, files: string[]): Replica {
  const proc = spawn(process.execPath, [CLI, 'server', '--port', '0', '--data', join(dir, `data-${name}`), '--store', store, '--replica-id', name, ...files], {
    env: { ...process.env, NO_COLOR: '1', SLIPWAY_ADMIN_TOKEN: TOKEN, SLIPWAY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const url = new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-20_000);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', (code, signal) => reject(new Error(`replica ${name} exited (${code ?? signal}) before it listened:\n${err}`)));
  });
  url.catch(() => undefined);
  return { proc, url, exited };
}

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

async function runConfig(adminUrl: string, root: string, files: string[], n: number, plan: Replicas3Plan, progress: (line: string) => void): Promise<ConfigResult> {
  const name = `slipway_bench_replicas${n}_${process.pid}`;
  const store = await createDatabase(adminUrl, name);
  const dir = mkdtempSync(join(root, `replicas${n}-`));
  const replicas: Replica[] = [];
  const db = new pg.Client({ connectionString: store });
  try {
    progress(`pg replicas: ${n} replica${n > 1 ? 's' : ''} on a fresh database, ${plan.projects} projects × ${STAGES.length} stages × ${plan.services} services, noop tasks …`);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) replicas.push(startReplica(dir, `r${i + 1}`, store, files));
    const urls = await Promise.all(replicas.map((r) => r.url));
    await ready(urls, replicasProject(0));
    const startS = round((performance.now() - t0) / 1000, 1);
    await db.connect();
    const r = await driveLoad(db, { ...plan, replicas: urls, stages: STAGES, token: TOKEN });
    progress(`  started in ${startS} s; ${r.runsPerS} stage runs/s, ${r.transitionsPerS} transitions/s over ${r.measureS} s (${r.releasesCreated} releases created, ${r.meanUnfinished} unfinished on average; trigger p50 ${r.triggerP50Ms} ms, p99 ${r.triggerP99Ms} ms; answers ${JSON.stringify(r.statuses)})`);
    return { replicas: n, startS, ...r };
  } finally {
    await db.end().catch(() => undefined);
    await stopAll(replicas);
    rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect().then(() => admin.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

export async function runReplicas3Bench(plan: Replicas3Plan, progress: (line: string) => void): Promise<Replicas3Outcome> {
  // The cluster's and the replicas' handles do not keep Node alive (failover-bench.ts: exit 13 with the await unsettled).
  const alive = setInterval(() => undefined, 1_000);
  let stop: (() => Promise<void>) | undefined;
  const root = mkdtempSync(join(tmpdir(), 'slipway-bench-replicas3-'));
  try {
    let url = process.env['SLIPWAY_BENCH_PG_URL'];
    if (!url) {
      progress('pg replicas: starting a throwaway PostgreSQL cluster (fsync on) …');
      const started = await startBenchCluster();
      if (!started.ok) return { skipped: started.reason };
      url = started.cluster.url;
      stop = () => started.cluster.stop();
    }
    const files = Array.from({ length: plan.projects }, (_, i) => {
      const file = join(root, `${replicasProject(i)}.yaml`);
      writeFileSync(file, pipeline(replicasProject(i), plan.services));
      return file;
    });
    const one = await runConfig(url, root, files, 1, plan, progress);
    const three = await runConfig(url, root, files, 3, plan, progress);
    return { plan, one, three, ratio: round(three.runsPerS / one.runsPerS, 2) };
  } finally {
    rmSync(root, { recursive: true, force: true });
    await stop?.().catch(() => undefined);
    clearInterval(alive);
  }
}

/** Adds `pg.replicas1_runs_per_s`, `pg.replicas3_runs_per_s` and `pg.replicas3_ratio` with its target to a bench report (run.ts: one line). */
export function addReplicas3(report: Report, r: Replicas3Outcome, progress: (line: string) => void): void {
  if ('skipped' in r) return progress(`pg replicas: skipped: ${r.skipped}`);
  const t = replicas3Target(r);
  report.figures['pg.replicas1_runs_per_s'] = r.one.runsPerS;
  report.figures['pg.replicas3_runs_per_s'] = r.three.runsPerS;
  report.figures['pg.replicas3_ratio'] = r.ratio;
  report.targets.push(t);
}

export function replicas3Target(r: Replicas3Result): { figure: string; value: number; target: string; met: boolean } {
  const p = r.plan;
  const clean = [r.one, r.three].every((c) => c.non201 === 0 && c.runsNotSucceeded === 0);
  const refused = clean ? '' : `; REFUSED: answers other than 201 (${r.one.non201}, ${r.three.non201}) or runs that did not succeed (${r.one.runsNotSucceeded}, ${r.three.runsNotSucceeded})`;
  const met = clean && r.ratio >= REPLICAS3_TARGET;
  return {
    figure: 'pg.replicas3_ratio',
    value: r.ratio,
    target: `>= ${REPLICAS3_TARGET} (stage runs finished per second, 3 replicas ÷ 1 replica on the same PostgreSQL: ${r.three.runsPerS}/s ÷ ${r.one.runsPerS}/s; ${p.projects} projects × ${STAGES.length} stages × ${p.services} services, noop tasks, ${p.unfinished} releases unfinished, triggers round-robin over the replicas, measured ${p.measureS} s after ${p.warmupS} s)${refused}${met ? '' : `; not met: ${REPLICAS3_REASON}`}`,
    met,
  };
}

export function formatReplicas3Text(r: Replicas3Outcome): string {
  if ('skipped' in r) return `PostgreSQL replicas: skipped (${r.skipped})`;
  const row = (c: ConfigResult) =>
    `  ${c.replicas} replica${c.replicas > 1 ? 's' : ' '}: ${c.runsPerS} stage runs/s, ${c.transitionsPerS} transitions/s, ${c.releasesCreated} releases created (answers ${JSON.stringify(c.statuses)}), ${c.runsNotSucceeded} runs not succeeded, started in ${c.startS} s`;
  const t = replicas3Target(r);
  return [
    `PostgreSQL replicas: the same load on 1 and on 3 slipway server replicas, each on a fresh database of one cluster`,
    row(r.one),
    row(r.three),
    ...[...r.one.errors, ...r.three.errors].map((e) => `    error: ${e}`),
    `  ${'pg.replicas3_ratio'.padEnd(32)} ${String(r.ratio).padStart(10)}  target ${t.target}: ${t.met ? 'met' : 'MISSED'}`,
  ].join('\n');
}
