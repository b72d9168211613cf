/**
 * Per-slot counts since the router started: requests, errors (5xx, including the router's own
 * 502 for an unreachable upstream), status classes and a latency histogram. Counters only grow,
 * so the traffic of any interval is the difference of two snapshots (`metricsSince`), which is
 * what canary analysis needs.
 */

/** Histogram bounds in ms: fine below 10 ms where a local service answers, coarse above. */
export const LATENCY_BOUNDS_MS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10000] as const;

export type CodeClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export const CODE_CLASSES: readonly CodeClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export function codeClassOf(status: number): CodeClass {
  return status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : status >= 200 ? '2xx' : '1xx';
}

export interface SlotMetrics {
  requests: number;
  /** Answers with a 5xx status, the router's 502s included. */
  errors: number;
  /** errors / requests; 0 when there were no requests. */
  errorRate: number;
  codes: Record<CodeClass, number>;
  /** Count per latency bucket: `buckets[i]` counts latencies ≤ LATENCY_BOUNDS_MS[i] and above the bound before; the last counts the rest. */
  buckets: number[];
  sumMs: number;
  /** Percentiles estimated from the histogram (linear within a bucket); undefined without requests. */
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  meanMs?: number;
}

export interface RouterMetrics {
  /** UTC ms when the snapshot was taken (or, for an interval, when it ended). */
  at: number;
  /** Start of the interval the counts cover: 0 for counts since the router started. */
  since: number;
  slots: Record<string, SlotMetrics>;
  /** Requests no slot could take (no weighted slot, or a header naming an unknown slot). */
  unrouted: number;
}

export class SlotCounter {
  requests = 0;
  errors = 0;
  sumMs = 0;
  readonly codes = [0, 0, 0, 0, 0];
  readonly buckets: number[] = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

  record(status: number, ms: number): void {
    this.requests++;
    if (status >= 500) this.errors++;
    const c = Math.min(4, Math.max(0, Math.floor(status / 100) - 1));
    this.codes[c]!++;
    this.sumMs += ms;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
    this.buckets[i]!++;
  }

  snapshot(): SlotMetrics {
    const codes = Object.fromEntries(CODE_CLASSES.map((k, i) => [k, this.codes[i]!])) as Record<CodeClass, number>;
    return withDerived({ requests: this.requests, errors: this.errors, errorRate: 0, codes, buckets: [...this.buckets], sumMs: this.sumMs });
  }
}

/** The traffic between `earlier` and `later` (both from the same router's `metrics()`). */
export function metricsSince(later: RouterMetrics, earlier: RouterMetrics): RouterMetrics {
  const slots: Record<string, SlotMetrics> = {};
  for (const [name, now] of Object.entries(later.slots)) {
    const then = earlier.slots[name];
    if (!then) {
      slots[name] = now;
      continue;
    }
    const codes = Object.fromEntries(CODE_CLASSES.map((k) => [k, now.codes[k] - then.codes[k]])) as Record<CodeClass, number>;
    slots[name] = withDerived({
      requests: now.requests - then.requests,
      errors: now.errors - then.errors,
      errorRate: 0,
      codes,
      buckets: now.buckets.map((n, i) => n - (then.buckets[i] ?? 0)),
      sumMs: now.sumMs - then.sumMs,
    });
  }
  return { at: later.at, since: earlier.at, slots, unrouted: later.unrouted - earlier.unrouted };
}

function withDerived(m: SlotMetrics): SlotMetrics {
  if (m.requests === 0) return m;
  return {
    ...m,
    errorRate: m.errors / m.requests,
    p50Ms: percentileOf(m.buckets, m.requests, 50),
    p90Ms: percentileOf(m.buckets, m.requests, 90),
    p99Ms: percentileOf(m.buckets, m.requests, 99),
    meanMs: m.sumMs / m.requests,
  };
}

/** The p-th percentile of a histogram, interpolated linearly inside its bucket. */
export function percentileOf(buckets: readonly number[], total: number, p: number): number {
  const rank = (p / 100) * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (n > 0 && seen + n >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const hi = LATENCY_BOUNDS_MS[i] ?? lo;
      return lo + (hi - lo) * Math.max(0, rank - seen) / n;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
