/**
 * Time is injected: everything that needs the time or a delay takes a Clock. Tests use
 * FakeClock and move it; nothing in the engine sleeps on the wall clock directly.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Longest delay setTimeout accepts; longer waits re-arm. */
const MAX_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Referenced on purpose: a pending durable timer keeps a local run alive; engine.stop() cancels it.
    const h = setTimeout(fn, Math.min(Math.max(0, ms), MAX_DELAY));
    return { cancel: () => clearTimeout(h) };
  },
};

/** A clock that moves only when told: `advance(ms)` runs every callback that came due, in order. */
export class FakeClock implements Clock {
  private pending: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { at: this.current + Math.max(0, ms), fn, seq: this.seq++ };
    this.pending.push(entry);
    return { cancel: () => (this.pending = this.pending.filter((p) => p !== entry)) };
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (!next || next.at > target) break;
      this.pending.shift();
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }
}
