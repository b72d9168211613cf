/** The `pg.replicas*` figures, their target, and their text (replicas3-bench.ts measures them). */
import { STAGES, type ConfigResult, type Replicas3Outcome } from './replicas3-bench.js';
import type { Report, Target } from './report.js';
import { round } from './stats.js';

export const REPLICAS3_TARGET = 2;
/** Why the target is not met today (docs/operating.md: what standbys do not do). */
export const REPLICAS3_REASON = 'one active replica runs the engine; partitioned leases per project group not built';

/** The figures and the target of `pg.replicas3_ratio`; a skipped part gives none. */
export function replicas3FiguresOf(r: Replicas3Outcome): { figures: Record<string, number>; targets: Target[] } {
  if ('skipped' in r) return { figures: {}, targets: [] };
  const p = r.plan;
  const clean = [r.one, r.three].every((c) => c.non201 === 0 && c.runsNotSucceeded === 0);
  const refused = clean ? '' : `; REFUSED: answers other than 201 (1 replica: ${r.one.non201}, 3: ${r.three.non201}) or runs that did not succeed (${r.one.runsNotSucceeded}, ${r.three.runsNotSucceeded})`;
  const met = clean && r.ratio >= REPLICAS3_TARGET;
  // What one replica already asks of the machine bounds what three can add, whatever the design.
  const busy = r.one.machineBusyCores !== null ? `; with 1 replica the machine was ${r.one.machineBusyCores} of ${r.cores} cores busy (the active replica ${r.one.busiestReplicaCores ?? '?'} core), so 3 replicas could add at most ×${round(r.cores / r.one.machineBusyCores, 2)} here` : '';
  const how = `${p.projects} projects × ${STAGES.length} stages × ${p.services} services, noop tasks, ${p.concurrency} clients keeping ${p.unfinished} releases unfinished, triggers round-robin over the replicas, measured ${p.measureS} s after ${p.warmupS} s${p.rounds === 2 ? ', in the order 1, 3, 3, 1 replicas, means' : ''}`;
  return {
    figures: { 'pg.replicas1_runs_per_s': r.one.runsPerS, 'pg.replicas3_runs_per_s': r.three.runsPerS, 'pg.replicas3_ratio': r.ratio },
    targets: [
      {
        figure: 'pg.replicas3_ratio',
        value: r.ratio,
        target: `>= ${REPLICAS3_TARGET} (stage runs finished per second, 3 replicas ÷ 1 replica on the same PostgreSQL: ${r.three.runsPerS}/s ÷ ${r.one.runsPerS}/s; ${how})${refused}${met ? '' : `; not met: ${REPLICAS3_REASON}${busy}`}`,
        met,
      },
    ],
  };
}

/** Adds the `pg.replicas*` figures and their target to a bench report (run.ts: one line). */
export function addReplicas3(report: Report, r: Replicas3Outcome, progress: (line: string) => void): void {
  if ('skipped' in r) return progress(`pg replicas: skipped: ${r.skipped}`);
  const { figures, targets } = replicas3FiguresOf(r);
  Object.assign(report.figures, figures);
  report.targets.push(...targets);
}

export function formatReplicas3Text(r: Replicas3Outcome): string {
  if ('skipped' in r) return `PostgreSQL replicas: skipped (${r.skipped})`;
  const row = (c: ConfigResult) =>
    `  ${c.replicas} replica${c.replicas > 1 ? 's' : ' '}: ${c.runsPerS} stage runs/s, ${c.transitionsPerS} transitions/s; ${c.releasesCreated} releases created (answers ${JSON.stringify(c.statuses)}), trigger p50 ${c.triggerP50Ms} ms, p99 ${c.triggerP99Ms} ms, ${c.meanUnfinished} unfinished on average; ${c.runsNotSucceeded} runs not succeeded; started in ${c.startS} s; machine ${c.machineBusyCores ?? '?'} cores busy, busiest replica ${c.busiestReplicaCores ?? '?'} core`;
  const samples = [...r.one.samples, ...r.three.samples];
  const { figures, targets } = replicas3FiguresOf(r);
  return [
    'PostgreSQL replicas: the same load on 1 and on 3 slipway server replicas (real processes), each time on a fresh database of one cluster',
    ...samples.map(row),
    ...samples.flatMap((c) => c.errors).map((e) => `    error: ${e}`),
    ...Object.entries(figures).map(([name, value]) => {
      const t = targets.find((x) => x.figure === name);
      return `  ${name.padEnd(32)} ${String(value).padStart(10)}  ${t ? `target ${t.target}: ${t.met ? 'met' : 'MISSED'}` : ''}`.trimEnd();
    }),
  ].join('\n');
}
