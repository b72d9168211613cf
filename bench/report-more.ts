/** The text of the PostgreSQL and stress parts (report.ts prints the rest). */
import type { PgOutcome } from './pg-bench.js';
import type { Target } from './report.js';
import type { StressResult } from './stress.js';

const line = (targets: readonly Target[], name: string, value: number): string => {
  const t = targets.find((x) => x.figure === name);
  return `  ${name.padEnd(32)} ${String(value).padStart(10)}  ${t ? `target ${t.target}: ${t.met ? 'met' : 'MISSED'}` : ''}`.trimEnd();
};

export function formatPgText(o: PgOutcome, figures: Readonly<Record<string, number>>, targets: readonly Target[]): string {
  if (o.skipped) return `PostgreSQL: skipped (${o.reason})`;
  const e = o.engine;
  const g = o.graphile;
  return [
    `PostgreSQL ${o.serverVersion}: a throwaway cluster on 127.0.0.1, fsync on, each part on its own database`,
    `  raw: one connection, single-row INSERT per transaction, ${o.raw.ms} ms: ${Math.round(o.raw.durableCommitsPerS)} commits/s`,
    `  Slipway engine on the PostgreSQL store: N=${e.n} runs × M=${e.m} noop tasks, ${e.seconds} s, ${e.transitionsPerS} transitions/s, ${o.tasksPerS} tasks/s, ${e.batches} batches (${e.meanInputsPerBatch} inputs each, ${e.meanBatchMs} ms)`,
    `  graphile-worker: ${g.chains} chains × ${g.jobsPerChain} no-op jobs (each job adds the next), concurrency ${g.concurrency}, ${g.seconds} s: ${g.jobsPerS} jobs/s`,
    ...Object.entries(figures)
      // The replicas' figures have their own section (replicas3-bench.ts: formatReplicas3Text).
      .filter(([n]) => n.startsWith('pg.') && !n.startsWith('pg.replicas'))
      .map(([n, v]) => line(targets, n, v)),
  ].join('\n');
}

export function formatStressText(r: StressResult, targets: readonly Target[]): string {
  return [
    `stress: a slipway server process, ${r.plan.projects} projects × 5 stages × ${r.plan.services} services, ${r.triggered} releases triggered open loop (${r.evaluationsPerS} quality-gate evaluations/s, 5-objective SLO each) for ${r.plan.seconds} s`,
    `  trigger answers other than 201: ${r.non201}; runs open after the last trigger: ${r.drainSeconds === null ? 'still some at the timeout' : `none after ${r.drainSeconds} s`}; failed or aborted runs: ${r.runsFailed}`,
    line(targets, 'stress.cpu_cores', r.cpuCores),
    line(targets, 'stress.rss_mb', r.rssMb),
    line(targets, 'stress.rss_growth', r.rssGrowth),
  ].join('\n');
}
