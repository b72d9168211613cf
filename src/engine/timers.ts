/**
 * Durable timers: rows in the store with a due time, mirrored here to arm one clock
 * timeout for the earliest. A fired timer stays until the transaction that consumes it
 * deletes it, so a crash in between fires it again after restart; overdue timers fire at once.
 */
import type { Logger } from 'pino';
import type { TimerInput, Timer } from '../core/index.js';
import type { Clock, TimerHandle } from './clock.js';

export class Timers {
  private readonly timers = new Map<string, Timer>();
  private readonly firing = new Set<string>();
  private handle: TimerHandle | undefined;
  private armedFor: number | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly submit: (input: TimerInput) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.timers.size;
  }

  load(list: Timer[]): void {
    for (const t of list) this.timers.set(t.id, t);
    this.arm();
  }

  /** Applies what a commit wrote: a Timer is set, null is gone. */
  apply(changes: Map<string, Timer | null>): void {
    if (changes.size === 0) return;
    for (const [id, t] of changes) {
      if (t) {
        // Re-armed for another time by the transaction that consumed its fire (a schedule's next fire): it may fire again.
        if (this.timers.get(id)?.dueAt !== t.dueAt) this.firing.delete(id);
        this.timers.set(id, t);
      } else {
        this.timers.delete(id);
        this.firing.delete(id);
      }
    }
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
    this.handle = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    let next: number | undefined;
    for (const t of this.timers.values()) if (!this.firing.has(t.id) && (next === undefined || t.dueAt < next)) next = t.dueAt;
    if (next === this.armedFor && this.handle) return;
    this.handle?.cancel();
    this.handle = undefined;
    this.armedFor = next;
    if (next === undefined) return;
    this.handle = this.clock.setTimeout(() => this.fire(), next - this.clock.now());
  }

  private fire(): void {
    this.handle = undefined;
    this.armedFor = undefined;
    const now = this.clock.now();
    for (const t of this.timers.values()) {
      if (t.dueAt > now || this.firing.has(t.id)) continue;
      this.firing.add(t.id);
      const input: TimerInput = { ...t.input, id: `${t.id}@${t.dueAt}` };
      this.submit(input).catch((e: unknown) => {
        // Leave it to fire again: the row is still in the store.
        this.firing.delete(t.id);
        this.log.warn({ err: e, timer: t.id }, 'timer input failed; retrying');
        this.clock.setTimeout(() => this.arm(), 1000);
      });
    }
    this.arm();
  }
}
