/**
 * The DORA figures as Prometheus gauges, computed when /metrics is scraped (at most once per
 * `ttlMs`, shared by every gauge of a scrape), over the default window (the 90 days up to
 * now) and each project's default production stage. Computed on scrape rather than on run
 * events: the window slides with time, so a figure changes with no event at all (a failure
 * leaves the window), and nobody pays for it between scrapes.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Pipeline } from '../core/index.js';
import type { Store } from '../store/index.js';
import { computeDora, type DoraFigures } from './compute.js';

export interface GaugeSource {
  store: Store;
  pipelines(): Iterable<Pipeline>;
  now(): number;
  /** Told when a project's figures cannot be computed; its gauges are left out of that scrape. */
  onError?(project: string, e: unknown): void;
}

type Pick = (f: DoraFigures) => { stage: string; value: number | null }[];
const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

const GAUGES: { name: string; help: string; pick: Pick }[] = [
  { name: 'slipway_dora_deployments', help: 'Successful production deployments in the last 90 days', pick: (f) => [{ stage: f.stage, value: f.deploymentFrequency.deployments }] },
  { name: 'slipway_dora_deployments_per_day', help: 'Successful production deployments per day over the last 90 days', pick: (f) => [{ stage: f.stage, value: f.deploymentFrequency.perDay }] },
  { name: 'slipway_dora_lead_time_seconds', help: 'Median change lead time (commit to production) over the last 90 days', pick: (f) => [{ stage: f.stage, value: sec(f.changeLeadTime.medianMs) }] },
  { name: 'slipway_dora_change_fail_rate', help: 'Production deployments that failed, were rolled back or were followed by a fix, over all (last 90 days)', pick: (f) => [{ stage: f.stage, value: f.changeFailRate.rate }] },
  { name: 'slipway_dora_recovery_time_seconds', help: 'Median failed deployment recovery time over the last 90 days', pick: (f) => [{ stage: f.stage, value: sec(f.failedDeploymentRecoveryTime.medianMs) }] },
  { name: 'slipway_dora_rework_rate', help: 'Production deployments that were rollbacks or fixes, over all (last 90 days)', pick: (f) => [{ stage: f.stage, value: f.deploymentReworkRate.rate }] },
  { name: 'slipway_cycle_time_seconds', help: 'Median time from commit to a release first passing each stage, over the last 90 days', pick: (f) => f.cycleTime.map((c) => ({ stage: c.stage, value: sec(c.medianMs) })) },
];

export function registerDoraGauges(registry: Registry, src: GaugeSource, ttlMs = 30_000): void {
  let cached: { at: number; figures: Promise<DoraFigures[]> } | undefined;
  const figures = (): Promise<DoraFigures[]> => {
    const now = src.now();
    if (!cached || now - cached.at >= ttlMs) cached = { at: now, figures: computeAll(src, now) };
    return cached.figures;
  };
  for (const g of GAUGES) {
    new Gauge({
      name: g.name,
      help: g.help,
      labelNames: ['project', 'stage'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const f of await figures()) {
          for (const { stage, value } of g.pick(f)) if (value !== null) this.set({ project: f.project, stage }, value);
        }
      },
    });
  }
}

async function computeAll(src: GaugeSource, now: number): Promise<DoraFigures[]> {
  const out: DoraFigures[] = [];
  for (const p of src.pipelines()) {
    try {
      out.push(await computeDora(src.store, p, { project: p.name }, now));
    } catch (e) {
      src.onError?.(p.name, e);
    }
  }
  return out;
}
