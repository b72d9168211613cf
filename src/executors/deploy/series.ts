/**
 * A canary's course over time, for the run page's charts: at the end of every step (and once
 * at the start of a pause, so a pause shows as a span), the new version's traffic weight per
 * service and each slot's router counters (requests, errors, latency percentiles so far).
 * Counters are cumulative, so a reader takes rates over any interval from two points. The
 * series lives in the deploy's progress and goes out with every suspension and outcome;
 * it is bounded (oldest points after the first dropped) so it always fits the outcome.
 */
import type { ExecutorContext } from '../../engine/executor.js';
import type { DeployTarget, ServiceKey, SlotTraffic } from '../../platform/index.js';

export interface SlotSample {
  requests: number;
  errors: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface SeriesPoint {
  /** UTC ms. */
  at: number;
  /** 1-based step of the plan the point closes (0: before the first). */
  step: number;
  /** Per service: the new version's weight (percent of live traffic) and each slot's counters. */
  services: Record<string, { weight: number; slots: Record<string, SlotSample> }>;
}

/** What the series is kept under in bytes of JSON, well inside an outcome's progress limit (64 KiB). */
const BUDGET_BYTES = 24 * 1024;
const MAX_POINTS = 200;

function sample(t: SlotTraffic): SlotSample {
  return {
    requests: t.requests,
    errors: t.errors,
    ...(t.p50Ms !== undefined ? { p50Ms: Math.round(t.p50Ms * 10) / 10 } : {}),
    ...(t.p99Ms !== undefined ? { p99Ms: Math.round(t.p99Ms * 10) / 10 } : {}),
  };
}

export function recordPoint(
  ctx: ExecutorContext,
  target: DeployTarget,
  keys: readonly ServiceKey[],
  step: number,
  p: { slots: Record<string, { next: string; previous?: string }>; weights?: Record<string, number>; series?: SeriesPoint[] },
): void {
  const services: SeriesPoint['services'] = {};
  for (const key of keys) {
    const slots = p.slots[key.service];
    if (!slots) continue;
    const counters: Record<string, SlotSample> = { [slots.next]: sample(target.traffic(key, slots.next)) };
    if (slots.previous) counters[slots.previous] = sample(target.traffic(key, slots.previous));
    services[key.service] = { weight: p.weights?.[key.service] ?? 0, slots: counters };
  }
  const series = (p.series ??= []);
  series.push({ at: ctx.now(), step, services });
  // Keep the first point (where it began) and the latest ones.
  while (series.length > 2 && (series.length > MAX_POINTS || JSON.stringify(series).length > BUDGET_BYTES)) series.splice(1, 1);
}
