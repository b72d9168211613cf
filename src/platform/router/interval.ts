/**
 * The traffic of one slot over an interval, from two of the target's cumulative snapshots:
 * what a canary analysis takes as one sample. Values are NaN when the slot served no request in
 * the interval (a rate of nothing is not 0), so the canary judge drops them as missing data.
 */
import type { SlotTraffic } from '../target.js';
import { percentileOf } from './stats.js';

export interface IntervalTraffic {
  requests: number;
  errors: number;
  /** errors / requests. */
  errorRate: number;
  meanLatencyMs: number;
  p90LatencyMs: number;
}

export function trafficBetween(later: SlotTraffic, earlier: SlotTraffic | undefined): IntervalTraffic {
  // A counter that went down means the router restarted in between: the later counts are the interval.
  const reset = earlier !== undefined && later.requests < earlier.requests;
  const base = reset ? undefined : earlier;
  const requests = later.requests - (base?.requests ?? 0);
  const errors = later.errors - (base?.errors ?? 0);
  if (requests <= 0) return { requests: 0, errors: 0, errorRate: NaN, meanLatencyMs: NaN, p90LatencyMs: NaN };
  const sumMs = later.sumMs === undefined ? NaN : later.sumMs - (base?.sumMs ?? 0);
  const buckets = later.buckets?.map((n, i) => n - (base?.buckets?.[i] ?? 0));
  return {
    requests,
    errors,
    errorRate: errors / requests,
    meanLatencyMs: sumMs / requests,
    p90LatencyMs: buckets ? percentileOf(buckets, requests, 90) : NaN,
  };
}
