/**
 * Where the router's counts go: its own per-slot counters (for `metrics()` and canary analysis)
 * and, when given a registry, the Prometheus series. Also throttles the warnings about failing
 * upstreams to one per slot every few seconds, so an upstream that is down does not flood the log.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { RouterProm } from './prom.js';
import { SlotCounter, type RouterMetrics, type SlotMetrics } from './stats.js';
import type { RouterLabels } from './types.js';

const WARN_EVERY_MS = 5000;

export class Meters {
  private readonly counters = new Map<string, SlotCounter>();
  private readonly prom: RouterProm | undefined;
  private readonly warned = new Map<string, number>();
  unrouted = 0;

  constructor(registry: Registry | undefined, labels: RouterLabels | undefined, private readonly log: Logger) {
    this.prom = registry ? new RouterProm(registry, labels ?? { project: '', stage: '', service: '' }) : undefined;
  }

  readonly record = (slot: string, status: number, ms: number): void => {
    let c = this.counters.get(slot);
    if (!c) this.counters.set(slot, (c = new SlotCounter()));
    c.record(status, ms);
    this.prom?.record(slot, status, ms);
  };

  upstreamFailed(slot: string, err: Error): void {
    const now = performance.now();
    if (now - (this.warned.get(slot) ?? -Infinity) < WARN_EVERY_MS) return this.log.debug({ slot, err: err.message }, 'upstream failed');
    this.warned.set(slot, now);
    this.log.warn({ slot, err: err.message }, 'upstream failed; answering 502 (further failures of this slot in the next 5 s are logged at debug)');
  }

  snapshot(at: number): RouterMetrics {
    const slots: Record<string, SlotMetrics> = {};
    for (const [name, c] of this.counters) slots[name] = c.snapshot();
    return { at, since: 0, slots, unrouted: this.unrouted };
  }

  close(): void {
    this.prom?.remove();
  }
}
