import { describe, expect, it } from 'vitest';
import { figureTable } from '../../bench/figure-table.js';
import { pgFiguresOf } from '../../bench/pg-bench.js';
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

  it("the stress project's SLO has five objectives and loads as Keptn's", () => {
    const slo = loadKeptnSlo(stressSlo(), 'slo.yaml');
    expect(slo.objectives).toHaveLength(5);
    expect(stressPipeline('proj-00', 2).match(/kind: evaluation/g)).toHaveLength(5);
  });
});
