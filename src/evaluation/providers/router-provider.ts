/**
 * SLIs from the built-in router's own series (src/platform/router/prom.ts): requests by status
 * class and a latency histogram per project, stage, service and slot, in the prom-client registry
 * the local platform shares with the server's /metrics. The series are counters since each router
 * started, so the provider samples the registry (every `everyMs`, kept for `keepMs`) and measures
 * a window as the difference between the last sample at or before its start and the first at or
 * after its end (taken then if the window ends now), so edges are as precise as the sampling
 * period (a minute for edges older than 10 minutes, where samples are thinned); a series absent
 * at the start sample did not exist then and counts from zero.
 *
 * SLIs (all slots of the service, or only `labels.slot`):
 *   requests            requests answered in the window
 *   throughput          requests per second over the window
 *   error_count         answers with a 5xx status (the router's own 502s included)
 *   error_rate          error_count / requests (0..1); no value without requests
 *   response_time_avg   mean latency, ms
 *   response_time_p50, response_time_p90, response_time_p95, response_time_p99
 *                       latency percentiles in ms, estimated from the histogram (linear in a bucket)
 */
import type { SliProvider, SliQuery, SliValues } from './types.js';
import { collect } from './types.js';

const REQUESTS = 'slipway_router_requests_total';
const DURATION = 'slipway_router_request_duration_seconds';

export const ROUTER_SLIS = ['requests', 'throughput', 'error_count', 'error_rate', 'response_time_avg', 'response_time_p50', 'response_time_p90', 'response_time_p95', 'response_time_p99'] as const;

/** What the provider reads: a prom-client Registry fits. */
export interface MetricsRegistry {
  getMetricsAsJSON(): Promise<Array<{ name: string; values: Array<{ labels: Partial<Record<string, string | number>>; value: number; metricName?: string }> }>>;
}

interface SlotCounts {
  requests: number;
  errors: number;
  sumSeconds: number;
  /** Cumulative counts by upper bound in seconds (Prometheus `le`), +Inf included. */
  buckets: Map<number, number>;
}

interface Sample {
  at: number;
  /** Key: project \u0000 stage \u0000 service \u0000 slot. */
  slots: Map<string, SlotCounts>;
}

export interface RouterSliOptions {
  registry: MetricsRegistry;
  now?: () => number;
  /** Sampling period once `start()`ed (default 5 s). */
  everyMs?: number;
  /**
   * How long samples are kept (default 6 h): the longest window that can be measured. Samples
   * older than 10 minutes are thinned to one a minute, so older window edges are within a minute.
   */
  keepMs?: number;
}

export interface RouterSliProvider extends SliProvider {
  /** Takes a sample now (also done by `values` for a window that ends now). */
  sample(): Promise<void>;
  /** Samples every `everyMs` until `stop()`; the timer does not keep the process alive. */
  start(): void;
  stop(): void;
  /** How many samples are kept now (they are thinned with age). */
  samplesKept(): number;
}

const key = (l: Partial<Record<string, string | number>>) => [l.project, l.stage, l.service, l.slot].map((v) => String(v ?? '')).join('\u0000');

async function read(registry: MetricsRegistry, at: number): Promise<Sample> {
  const slots = new Map<string, SlotCounts>();
  const slot = (k: string) => {
    let s = slots.get(k);
    if (!s) slots.set(k, (s = { requests: 0, errors: 0, sumSeconds: 0, buckets: new Map() }));
    return s;
  };
  for (const m of await registry.getMetricsAsJSON()) {
    if (m.name === REQUESTS) {
      for (const v of m.values) {
        const s = slot(key(v.labels));
        s.requests += v.value;
        if (v.labels.code_class === '5xx') s.errors += v.value;
      }
    } else if (m.name === DURATION) {
      for (const v of m.values) {
        const k = key(v.labels);
        if (v.metricName === `${DURATION}_sum`) slot(k).sumSeconds += v.value;
        else if (v.metricName === `${DURATION}_bucket`) {
          const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
          slot(k).buckets.set(le, v.value);
        }
      }
    }
  }
  return { at, slots };
}

export function createRouterSliProvider(o: RouterSliOptions): RouterSliProvider {
  const now = o.now ?? Date.now;
  const keepMs = o.keepMs ?? 6 * 3_600_000;
  const samples: Sample[] = [];
  /** Samples that are end readings (readNow), not timed ones: the newest of them may be replaced. */
  const onDemand = new WeakSet<Sample>();
  let timer: NodeJS.Timeout | undefined;

  const keep = (s: Sample): Sample => {
    samples.push(s);
    while (samples.length > 2 && samples[1]!.at < s.at - keepMs) samples.shift();
    thin(samples, s.at);
    return s;
  };
  const sample = async (): Promise<Sample> => keep(await read(o.registry, now()));
  /**
   * The end reading of a window that ends now. It is always kept, as the newest sample: the next
   * window often starts right after it (the next run's start), and its start edge is then exact
   * instead of a sampling period early. Readings are kept at most ON_DEMAND_SPACING_MS apart
   * otherwise: a reading within that time of the sample before the newest replaces the newest
   * when that one was a reading too. At 100 evaluations a second, keeping every one held 60,000
   * samples of the last 10 minutes, and each lookup and thinning walked them all (the stress
   * bench's CPU and memory grew by the minute).
   */
  const readNow = async (): Promise<Sample> => {
    const s = await read(o.registry, now());
    const n = samples.length;
    if (n >= 2 && onDemand.has(samples[n - 1]!) && s.at - samples[n - 2]!.at < ON_DEMAND_SPACING_MS) samples.pop();
    onDemand.add(s);
    return keep(s);
  };
  /** Samples are in time order: the index of the first one after `t`. */
  const firstAfter = (t: number): number => {
    let lo = 0;
    let hi = samples.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (samples[mid]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const atOrBefore = (t: number): Sample | undefined => samples[firstAfter(t) - 1];
  const atOrAfter = (t: number): Sample | undefined => {
    const i = firstAfter(t);
    return i > 0 && samples[i - 1]!.at === t ? samples[i - 1] : samples[i];
  };

  return {
    name: 'router',
    known: () => [...ROUTER_SLIS],
    async sample() {
      await sample();
    },
    start() {
      if (timer) return;
      void sample();
      timer = setInterval(() => void sample(), o.everyMs ?? 5000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    samplesKept: () => samples.length,
    async values(names: readonly string[], q: SliQuery): Promise<SliValues> {
      // The first sample at or after the window's end holds all of its traffic (and at most one
      // sampling period more); a window that ends now is sampled now.
      // The start is found first: the reading taken for the end may replace the newest sample.
      const before = atOrBefore(q.start);
      const endSample = atOrAfter(q.end) ?? (await readNow());
      const notes: string[] = [];
      let startSample = before;
      let from = q.start;
      if (!startSample) {
        // Nothing sampled before the window: measure from the earliest sample there is.
        startSample = samples[0];
        from = startSample?.at ?? q.start;
        if (startSample && startSample !== endSample) notes.push(`router samples start at ${new Date(from).toISOString()}, after the window's start ${new Date(q.start).toISOString()}: measured from there`);
      }
      const prefix = [q.project, q.stage, q.service].join('\u0000') + '\u0000';
      const slot = q.labels.slot;
      const within = (k: string) => k.startsWith(prefix) && (slot === undefined || k === prefix + slot);
      const traffic = difference(endSample, startSample === endSample ? undefined : startSample, within);
      const where = `router of ${q.project}/${q.stage}/${q.service}${slot ? ` slot ${slot}` : ''}`;
      if (!endSample || ![...endSample.slots.keys()].some(within)) notes.push(`no router series for ${where} (is it deployed on the local platform?)`);
      const seconds = Math.max(0.001, ((endSample?.at ?? q.end) - from) / 1000);
      const noTraffic = `no requests reached the ${where} between ${new Date(from).toISOString()} and ${new Date(endSample?.at ?? q.end).toISOString()}`;
      const out = collect(names, (name) => {
        const t = traffic;
        switch (name) {
          case 'requests':
            return { value: t.requests };
          case 'throughput':
            return { value: t.requests / seconds };
          case 'error_count':
            return { value: t.errors };
          case 'error_rate':
            return t.requests > 0 ? { value: t.errors / t.requests } : { missing: noTraffic };
          case 'response_time_avg':
            return t.requests > 0 ? { value: (1000 * t.sumSeconds) / t.requests } : { missing: noTraffic };
          case 'response_time_p50':
          case 'response_time_p90':
          case 'response_time_p95':
          case 'response_time_p99': {
            if (t.requests === 0) return { missing: noTraffic };
            return { value: 1000 * quantile(t.buckets, Number(name.slice('response_time_p'.length)) / 100) };
          }
          default:
            return { missing: `the router measures no SLI '${name}'; it measures: ${ROUTER_SLIS.join(', ')}` };
        }
      });
      return notes.length ? { ...out, notes } : out;
    },
  };
}

/** The least time between two samples `values` keeps of its own (see readNow). */
const ON_DEMAND_SPACING_MS = 1000;

/** Every sample of the last FINE_MS is kept; older ones one per COARSE_MS, so hours of samples stay small. */
const FINE_MS = 10 * 60_000;
const COARSE_MS = 60_000;

function thin(samples: Sample[], now: number): void {
  let kept = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const prev = kept > 0 ? samples[kept - 1]! : undefined;
    if (prev && s.at < now - FINE_MS && s.at - prev.at < COARSE_MS) continue;
    samples[kept++] = s;
  }
  samples.length = kept;
}

function difference(end: Sample | undefined, start: Sample | undefined, within: (k: string) => boolean): SlotCounts {
  const total: SlotCounts = { requests: 0, errors: 0, sumSeconds: 0, buckets: new Map() };
  if (!end) return total;
  // A counter lower than before was reset (its router restarted): count it from zero, as rate() does.
  const delta = (now: number, then: number | undefined) => (then === undefined || now < then ? now : now - then);
  for (const [k, e] of end.slots) {
    if (!within(k)) continue;
    const s = start?.slots.get(k);
    const reset = s !== undefined && e.requests < s.requests;
    const b = reset ? undefined : s;
    total.requests += delta(e.requests, b?.requests);
    total.errors += delta(e.errors, b?.errors);
    total.sumSeconds += delta(e.sumSeconds, b?.sumSeconds);
    for (const [le, n] of e.buckets) total.buckets.set(le, (total.buckets.get(le) ?? 0) + delta(n, b?.buckets.get(le)));
  }
  return total;
}

/** histogram_quantile over cumulative buckets: linear inside the bucket the rank falls in. */
function quantile(buckets: Map<number, number>, q: number): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? buckets.get(bounds[bounds.length - 1]!) ?? 0;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const le of bounds) {
    const count = buckets.get(le)!;
    if (count >= rank && count > prevCount) {
      // Above the highest finite bound there is nothing to interpolate to: report that bound.
      if (le === Infinity) return prevBound;
      return prevBound + ((le - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = le;
    prevCount = count;
  }
  return prevBound;
}
