/**
 * The router's Prometheus series. Every router of a server shares one registry, so the metrics
 * are found or created there by name; each router binds its label children once per slot and
 * status class, keeping label hashing off the request path.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { CODE_CLASSES, LATENCY_BOUNDS_MS, codeClassOf, type CodeClass } from './stats.js';
import type { RouterLabels } from './types.js';

const REQUESTS = 'slipway_router_requests_total';
const DURATION = 'slipway_router_request_duration_seconds';
const LABELS = ['project', 'stage', 'service', 'slot'] as const;

interface SlotSeries {
  counts: Record<CodeClass, { inc(): void }>;
  duration: { observe(seconds: number): void };
}

export class RouterProm {
  private readonly requests: Counter<string>;
  private readonly duration: Histogram<string>;
  private readonly series = new Map<string, SlotSeries>();

  constructor(registry: Registry, private readonly labels: RouterLabels) {
    this.requests = (registry.getSingleMetric(REQUESTS) as Counter<string> | undefined) ??
      new Counter({ name: REQUESTS, help: 'Requests the router answered, by slot and status class', labelNames: [...LABELS, 'code_class'], registers: [registry] });
    this.duration = (registry.getSingleMetric(DURATION) as Histogram<string> | undefined) ??
      new Histogram({
        name: DURATION,
        help: 'Time from a request reaching the router to the end of its answer, by slot',
        labelNames: [...LABELS],
        buckets: LATENCY_BOUNDS_MS.map((ms) => ms / 1000),
        registers: [registry],
      });
  }

  record(slot: string, status: number, ms: number): void {
    const s = this.series.get(slot) ?? this.bind(slot);
    s.counts[codeClassOf(status)].inc();
    s.duration.observe(ms / 1000);
  }

  /** Drops this router's series, so a closed router leaves none behind. */
  remove(): void {
    for (const slot of this.series.keys()) {
      for (const code_class of CODE_CLASSES) this.requests.remove({ ...this.labels, slot, code_class });
      this.duration.remove({ ...this.labels, slot });
    }
    this.series.clear();
  }

  private bind(slot: string): SlotSeries {
    const base = { ...this.labels, slot };
    const counts = Object.fromEntries(CODE_CLASSES.map((c) => [c, this.requests.labels({ ...base, code_class: c })])) as SlotSeries['counts'];
    const s = { counts, duration: this.duration.labels(base) };
    this.series.set(slot, s);
    return s;
  }
}
