/**
 * Whether the store answers, for operators and load balancers. States: `up` (the last
 * check or use worked) and `down` (a commit, a reload or a check failed with STORE; the
 * store is checked again every `retryMs` until it answers). Going down logs one warning
 * ("store unavailable … retrying"), coming back one line ("store back after …"); nothing in
 * between, so an outage is two lines in the log however long it lasts. Work does not wait
 * on this: the engine, the dispatcher and the timers retry on their own; this only watches
 * and tells (`GET /readyz`).
 */
import type { Logger } from 'pino';
import { isSlipwayError } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { Clock, TimerHandle } from './clock.js';

export const StoreStates = { up: 'up', down: 'down' } as const;
export type StoreState = (typeof StoreStates)[keyof typeof StoreStates];

export type Readiness = { ok: true } | { ok: false; reason: string; sinceMs: number };

export interface StoreHealthOptions {
  store: Pick<Store, 'lastEventSeq'>;
  clock: Clock;
  log: Logger;
  /** How often a down store is checked again (default 1 s). */
  retryMs?: number;
  /** How long a readiness check waits for the store (default 2 s). */
  checkTimeoutMs?: number;
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class StoreHealth {
  private state: StoreState = StoreStates.up;
  private since = 0;
  private reason = '';
  private failedChecks = 0;
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly retryMs: number;

  constructor(private readonly opts: StoreHealthOptions) {
    this.retryMs = opts.retryMs ?? 1_000;
  }

  /** A failure seen somewhere (the engine's commit): only the store's own failures (STORE) count. */
  failed(e: unknown): void {
    if (!isSlipwayError(e) || e.code !== 'STORE') return;
    this.reason = reasonOf(e);
    if (this.state === StoreStates.down) return;
    this.change(StoreStates.down);
  }

  /** Up: a cheap read answers within the timeout. A failing check marks the store down. */
  async readiness(): Promise<Readiness> {
    if (this.state === StoreStates.up) {
      const ok = await this.probe();
      if (ok === true) return { ok: true };
      this.reason = ok;
      this.change(StoreStates.down);
    }
    return { ok: false, reason: this.reason, sinceMs: this.since };
  }

  get current(): StoreState {
    return this.state;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  /** The one place the state changes: down only from up, up only from down. */
  private change(to: StoreState): void {
    const now = this.opts.clock.now();
    if (to === StoreStates.down) {
      if (this.state !== StoreStates.up) throw new Error(`store health: down from ${this.state}`);
      this.state = to;
      this.since = now;
      this.failedChecks = 0;
      this.opts.log.warn({ reason: this.reason, retryMs: this.retryMs }, `store unavailable (${this.reason}); retrying every ${this.retryMs / 1000} s; work that needs it waits`);
      this.schedule();
      return;
    }
    if (this.state !== StoreStates.down) throw new Error(`store health: up from ${this.state}`);
    this.state = to;
    this.opts.log.warn({ downMs: now - this.since, failedChecks: this.failedChecks }, `store back after ${((now - this.since) / 1000).toFixed(1)} s; paused work resumes`);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.opts.clock.setTimeout(() => void this.recheck(), this.retryMs);
  }

  private async recheck(): Promise<void> {
    if (this.closed || this.state !== StoreStates.down) return;
    const ok = await this.probe();
    if (ok === true) return this.change(StoreStates.up);
    this.failedChecks++;
    this.reason = ok;
    this.schedule();
  }

  /** True, or why not. */
  private async probe(): Promise<true | string> {
    const limit = this.opts.checkTimeoutMs ?? 2_000;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = this.opts.clock.setTimeout(() => resolve(`no answer within ${limit} ms`), limit);
    });
    try {
      return await Promise.race([this.opts.store.lastEventSeq().then(() => true as const, (e: unknown) => reasonOf(e)), timeout]);
    } finally {
      timer?.cancel();
    }
  }
}
