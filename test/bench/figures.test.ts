import { describe, expect, it } from 'vitest';
import { figureTable } from '../../bench/figure-table.js';
import { pgFiguresOf } from '../../bench/pg-bench.js';
import { REPLICAS3_PLANS, type ConfigResult, type Replicas3Result } from '../../bench/replicas3-bench.js';
import { REPLICAS3_REASON, replicas3FiguresOf } from '../../bench/replicas3-report.js';
import { stressFiguresOf, type StressResult } from '../../bench/stress.js';
import { stressPipeline, stressSlo } from '../../bench/stress-project.js';
import { loadKeptnSlo } from '../../src/spec/keptn-slo.js';

const stress = (over: Partial<StressResult> = {}): StressResult => ({
  plan: { projects: 50, services: 50, evaluationsPerS: 100, seconds: 600 },
  triggered: 12_000,
  non201: 0,
  statuses: { '201': 12_000 },
  errors: [],
  evaluationsPerS: 100,
  cpuCores: 0.3,
  rssMb: 180,
  rssFromMb: 170,
  rssEndMb: 180,
  rssGrowth: 0.059,
  drainSeconds: 0.5,
  runsFailed: 0,
  samples: [],
  ...over,
});

const config = (replicas: number, runsPerS: number, over: Partial<ConfigResult> = {}): ConfigResult => ({
  replicas,
  startS: 2,
  measureS: 6,
  runsFinished: runsPerS * 6,
  runsPerS,
  runsNotSucceeded: 0,
  transitions: runsPerS * 6 * 6,
  transitionsPerS: runsPerS * 6,
  releasesCreated: runsPerS * 2,
  meanUnfinished: 40,
  triggerP50Ms: 90,
  triggerP99Ms: 180,
  non201: 0,
  statuses: { '201': runsPerS * 2 },
  errors: [],
  machineBusyCores: 1.6,
  busiestReplicaCores: 0.9,
  ...over,
});
const summary = (c: ConfigResult) => ({ replicas: c.replicas, runsPerS: c.runsPerS, transitionsPerS: c.transitionsPerS, non201: c.non201, runsNotSucceeded: c.runsNotSucceeded, machineBusyCores: c.machineBusyCores, busiestReplicaCores: c.busiestReplicaCores, samples: [c] });
const replicas = (one: ConfigResult, three: ConfigResult): Replicas3Result => ({ plan: REPLICAS3_PLANS.quick, one: summary(one), three: summary(three), ratio: Math.round((three.runsPerS / one.runsPerS) * 100) / 100, cores: 2 });

describe('bench figures', () => {
  it('a skipped PostgreSQL part gives no pg figures and no targets', () => {
    expect(pgFiguresOf({ skipped: true, reason: 'PostgreSQL is not installed' })).toEqual({ figures: {}, targets: [] });
  });

  it('stress targets are met only when every trigger was answered and every run ended well', () => {
    expect(stressFiguresOf(stress()).targets.map((t) => t.met)).toEqual([true, true, true]);
    const refused = stressFiguresOf(stress({ non201: 3 }));
    expect(refused.targets.every((t) => !t.met)).toBe(true);
    expect(refused.targets[0]!.target).toContain('REFUSED: 3 triggers');
    expect(stressFiguresOf(stress({ rssMb: 250, rssGrowth: 0.2 })).targets.map((t) => t.met)).toEqual([true, false, false]);
  });

  it('the JSON table pairs each figure with its same-run reference and its target', () => {
    const table = figureTable(
      { 'pg.ratio_to_graphile_worker': 2.3, 'pg.graphile_worker_jobs_per_s': 160, 'engine.batches': 12 },
      [{ figure: 'pg.ratio_to_graphile_worker', value: 2.3, target: '>= 1', met: true }],
    );
    expect(table).toEqual([
      { figure: 'pg.ratio_to_graphile_worker', value: 2.3, reference: { figure: 'pg.graphile_worker_jobs_per_s', value: 160 }, target: '>= 1', met: true },
      { figure: 'pg.graphile_worker_jobs_per_s', value: 160 },
      { figure: 'engine.batches', value: 12 },
    ]);
  });

  it('pg.replicas3_ratio is 3 replicas ÷ 1, read against the 1-replica figure; below 2 it is not met and says why', () => {
    const r = replicas(config(1, 400), config(3, 360));
    const { figures, targets } = replicas3FiguresOf(r);
    expect(figures).toEqual({ 'pg.replicas1_runs_per_s': 400, 'pg.replicas3_runs_per_s': 360, 'pg.replicas3_ratio': 0.9 });
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ figure: 'pg.replicas3_ratio', value: 0.9, met: false });
    expect(targets[0]!.target).toMatch(/^>= 2 \(stage runs finished per second, 3 replicas ÷ 1 replica/);
    expect(targets[0]!.target).toContain(`not met: ${REPLICAS3_REASON}`);
    // The reason says what one replica already asked of the machine: 2 cores ÷ 1.6 busy.
    expect(targets[0]!.target).toContain('with 1 replica the machine was 1.6 of 2 cores busy (the active replica 0.9 core), so 3 replicas could add at most ×1.25 here');
    const row = figureTable(figures, targets).find((x) => x.figure === 'pg.replicas3_ratio');
    expect(row).toMatchObject({ reference: { figure: 'pg.replicas1_runs_per_s', value: 400 }, met: false });
    expect(replicas3FiguresOf({ skipped: 'PostgreSQL is not installed' })).toEqual({ figures: {}, targets: [] });
  });

  it('pg.replicas3_ratio at 2 or more is met only when every trigger was answered 201 and every run succeeded', () => {
    expect(replicas3FiguresOf(replicas(config(1, 100), config(3, 250))).targets[0]!.met).toBe(true);
    const refused = replicas3FiguresOf(replicas(config(1, 100), config(3, 250, { non201: 2 }))).targets[0]!;
    expect(refused.met).toBe(false);
    expect(refused.target).toContain('REFUSED');
  });

  it("the stress project's SLO has five objectives and loads as Keptn's", () => {
    const slo = loadKeptnSlo(stressSlo(), 'slo.yaml');
    expect(slo.objectives).toHaveLength(5);
    expect(stressPipeline('proj-00', 2).match(/kind: evaluation/g)).toHaveLength(5);
  });
});
