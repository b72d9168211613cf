/**
 * A test-only clock for end-to-end tests of a real server process: the time is what a file
 * says (UTC ms), and moves only when a test writes a later one. Timers come due as the file
 * moves, as FakeClock's do on `advance`. Honoured only when the process runs under a test
 * runner (NODE_ENV=test) and SLIPWAY_TEST_CLOCK_FILE names the file; never in production.
 *
 * Between moves time stands still: scenarios that use it keep to tasks that do not wait on
 * time (noop, shell).
 */
import { readFileSync } from 'node:fs';
import type { Clock, TimerHandle } from './clock.js';

const POLL_MS = 20;

export class FileClock implements Clock {
  private current: number;
  private pending: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(private readonly file: string) {
    this.current = this.read() ?? 0;
    // Unreferenced: the server's own handles keep the process alive, not this poll.
    this.poll = setInterval(() => this.tick(), POLL_MS);
    this.poll.unref();
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { at: this.current + Math.max(0, ms), fn, seq: this.seq++ };
    this.pending.push(entry);
    if (entry.at <= this.current) setImmediate(() => this.tick());
    return { cancel: () => (this.pending = this.pending.filter((p) => p !== entry)) };
  }

  stop(): void {
    clearInterval(this.poll);
  }

  private read(): number | undefined {
    try {
      const n = Number(readFileSync(this.file, 'utf8').trim());
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }

  /** Moves to the file's time (never back) and runs every callback that came due, in order. */
  private tick(): void {
    const target = Math.max(this.current, this.read() ?? this.current);
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (!next || next.at > target) break;
      this.pending.shift();
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }
}

/** The test clock when a test runner asked for one, else undefined (and a warning when asked outside tests). */
export function testClockFromEnv(env: Readonly<Record<string, string | undefined>>, warn: (msg: string) => void): FileClock | undefined {
  const file = env['SLIPWAY_TEST_CLOCK_FILE'];
  if (file === undefined || file === '') return undefined;
  if (env['NODE_ENV'] !== 'test') {
    warn('SLIPWAY_TEST_CLOCK_FILE is set but NODE_ENV is not test: ignored, the system clock is used');
    return undefined;
  }
  warn(`test clock: the time is read from ${file} (SLIPWAY_TEST_CLOCK_FILE, NODE_ENV=test)`);
  return new FileClock(file);
}
