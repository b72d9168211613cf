/**
 * The `pg.*` figures, each beside its reference measured on the same throwaway cluster in
 * the same run: the engine on the PostgreSQL store (the SQLite scenario's workload: N runs of
 * M noop tasks), raw single-row durable commits, and graphile-worker's jobs/s (graphile-bench.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { borrowBenchPg, createDatabase, measureRawPgCommits, serverVersion as versionOf, type BenchPg, type RawPgResult } from './pg-cluster.js';
import { runGraphileChains, type GraphileResult } from './graphile-bench.js';
import type { Target } from './report.js';
import { runScenario, type ScenarioResult } from './scenario.js';
import { round } from './stats.js';

export interface PgPlan {
  n: number;
  m: number;
  rawMs: number;
  timeoutMs: number;
}

export type PgOutcome =
  | { skipped: false; plan: PgPlan; raw: RawPgResult; engine: ScenarioResult; tasksPerS: number; graphile: GraphileResult; serverVersion: string }
  | { skipped: true; reason: string };

export const PG_RATIO_TARGET = 1;

export const PG_PLANS: Record<'quick' | 'full', PgPlan> = {
  quick: { n: 100, m: 5, rawMs: 500, timeoutMs: 60_000 },
  full: { n: 1000, m: 10, rawMs: 2000, timeoutMs: 240_000 },
};

/** The part's fresh databases, one per measurement, by URL. */
export interface PgBenchDatabases {
  raw: string;
  warm: string;
  engine: string;
  graphile: string;
}

/**
 * Creates the part's databases, all at once (each CREATE DATABASE took 140-210 ms here with
 * fsync on; four at once 430 ms). run.ts's quick mode calls it while the gate part runs.
 */
export async function createPgBenchDatabases(adminUrl: string): Promise<PgBenchDatabases> {
  const [raw, warm, engine, graphile] = await Promise.all(['bench_raw', 'bench_warm', 'bench_engine', 'bench_graphile'].map((n) => createDatabase(adminUrl, n)));
  return { raw: raw!, warm: warm!, engine: engine!, graphile: graphile! };
}

/**
 * `shared`: the run's PostgreSQL (run.ts), left running; default: a cluster of the part's own.
 * `databases`: created ahead on `shared` (createPgBenchDatabases); default: created here.
 */
export async function runPgBench(root: string, plan: PgPlan, progress: (line: string) => void, shared?: BenchPg, databases?: Promise<PgBenchDatabases | undefined>): Promise<PgOutcome> {
  const pg = await borrowBenchPg(shared, progress);
  if ('skipped' in pg) {
    progress(`PostgreSQL: skipped: ${pg.skipped}`);
    return { skipped: true, reason: pg.skipped };
  }
  const dir = mkdtempSync(join(root, 'pg-'));
  try {
    const [serverVersion, db] = await Promise.all([versionOf(pg.url), (async () => (await databases) ?? createPgBenchDatabases(pg.url))()]);
    const raw = await measureRawPgCommits(db.raw, plan.rawMs);
    progress(`  raw durable commits: ${Math.round(raw.durableCommitsPerS)}/s`);
    // A warm-up on its own database, thrown away: the first scenario pays for pg's and Kysely's first queries.
    await runScenario(Math.min(100, plan.n), 3, 0, mkdtempSync(join(dir, 'warm-')), plan.timeoutMs, db.warm);
    progress(`  engine on PostgreSQL: N=${plan.n} M=${plan.m} …`);
    const engine = await runScenario(plan.n, plan.m, 0, mkdtempSync(join(dir, 'engine-')), plan.timeoutMs, db.engine);
    if (engine.runsSucceeded !== plan.n) throw new Error(`only ${engine.runsSucceeded} of ${plan.n} runs succeeded on PostgreSQL`);
    const tasksPerS = round((plan.n * plan.m) / engine.seconds, 0);
    progress(`  ${engine.seconds} s, ${engine.transitionsPerS} transitions/s, ${tasksPerS} tasks/s, ${engine.batches} batches (${engine.meanInputsPerBatch} inputs each)`);
    progress(`  graphile-worker: ${plan.n} chains of ${plan.m} no-op jobs …`);
    const graphile = await runGraphileChains(db.graphile, plan.n, plan.m, plan.timeoutMs);
    progress(`  ${graphile.seconds} s, ${graphile.jobsPerS} jobs/s`);
    return { skipped: false, plan, raw, engine, tasksPerS, graphile, serverVersion };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pg.stop();
  }
}

/** The `pg.*` figures and their targets; a skipped part gives none, and one target that says why. */
export function pgFiguresOf(o: PgOutcome): { figures: Record<string, number>; targets: Target[] } {
  if (o.skipped) return { figures: {}, targets: [] };
  const ratio = o.tasksPerS / o.graphile.jobsPerS;
  const figures = {
    'pg.transitions_per_s': o.engine.transitionsPerS,
    'pg.tasks_per_s': o.tasksPerS,
    'pg.durable_commits_per_s': round(o.raw.durableCommitsPerS, 0),
    'pg.ratio_to_raw': round(o.engine.transitionsPerS / o.raw.durableCommitsPerS, 2),
    'pg.graphile_worker_jobs_per_s': o.graphile.jobsPerS,
    'pg.ratio_to_graphile_worker': round(ratio, 2),
  };
  const targets: Target[] = [
    {
      figure: 'pg.ratio_to_graphile_worker',
      value: figures['pg.ratio_to_graphile_worker'],
      target: `>= ${PG_RATIO_TARGET} (Slipway tasks dispatched and finished per second, ${o.plan.n} runs × ${o.plan.m} tasks, against graphile-worker jobs added and completed per second, ${o.graphile.chains} chains × ${o.graphile.jobsPerChain} jobs, concurrency ${o.graphile.concurrency}; same cluster, same run)`,
      met: ratio >= PG_RATIO_TARGET,
    },
  ];
  return { figures, targets };
}
