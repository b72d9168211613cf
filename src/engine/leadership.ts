/**
 * Leadership among replicas of one server on PostgreSQL: exactly one replica is active (it
 * holds the lease `engine` and runs the engine); the others are standbys that forward
 * requests to it and take the lease when it expires or is released.
 *
 * - standby: tries the lease when it is free (at its expiry by the database's clock, when a
 *   NOTIFY says it changed, and on a slow poll in case a notification was missed).
 * - activating: holds the lease; the server opens the engine (the restart path).
 * - active: renews every third of the lease time. A renewal refused (another holder) or not
 *   done before the lease's expiry (the database is out of reach) makes it step down on its
 *   own, without waiting to hear from the database: its commits are refused from then on.
 *   One exception: when its own process stalled past the expiry (a long pause of its event
 *   loop, not a failed renewal), it first asks the database once, briefly, whether anybody took
 *   the lease meanwhile; if nobody did, it renews it under the same epoch (commits are fenced on
 *   the epoch, so nothing another holder could have written is at stake) and carries on without
 *   restarting its engine. Commits wait for that answer instead of being refused. Likewise a
 *   renewal that the database answers with "expired" (sent late, or its clock runs ahead of
 *   ours) reclaims the lease when nobody took it.
 * - demoting: lost the lease; the server stops the engine (its executors abort; their tasks
 *   resume on the new active with the same task ids), then it is a standby again.
 * - stopped: closed; a lease still held was released so a standby takes over at once.
 */
import type { Logger } from 'pino';
import type { CommitFence, Lease, LeaseBook, LeaseView } from '../store/index.js';

export const Roles = { standby: 'standby', activating: 'activating', active: 'active', demoting: 'demoting', stopped: 'stopped' } as const;
export type Role = (typeof Roles)[keyof typeof Roles];

export const ENGINE_LEASE = 'engine';

export interface LeadershipOptions {
  book: LeaseBook;
  /** This replica's id (`--replica-id`). */
  id: string;
  /** Where this replica answers (`--advertise-url`): standbys forward there. */
  url: string;
  ttlMs: number;
  log: Logger;
  /** Took the lease: open the engine. A throw gives the lease back. */
  onActive(lease: Lease, fence: CommitFence): Promise<void>;
  /** Lost (or is giving up) the lease: stop the engine. */
  onStandby(reason: string): Promise<void>;
  /** Monotonic ms (default performance.now): this process's own deadline for its lease. */
  now?: () => number;
  /** Fallback poll while standby (default 2 s). */
  slowPollMs?: number;
}

export class Leadership {
  private current: Role = Roles.standby;
  private lease: Lease | undefined;
  /** The lease as last read (any holder) and the database's clock then, with our own clock at that moment. */
  private seen: { view: LeaseView; at: number } | undefined;
  /** Our deadline for the lease we hold (monotonic): a renewal sent before it and answered extends it. */
  private validUntil = 0;
  /** A renewal of the lease we hold failed (the database out of reach) and none succeeded since. */
  private renewFailing = false;
  /** A reclaim in flight, shared by the deadline, the renewal and commits waiting on it. */
  private reclaiming: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  private busy: Promise<void> = Promise.resolve();
  /** A step down in progress. */
  private stepping: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly slowPollMs: number;

  constructor(private readonly opts: LeadershipOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.slowPollMs = opts.slowPollMs ?? 2_000;
  }

  get role(): Role {
    return this.current;
  }

  /** The active replica's lease as last seen (ours when active), with the database's clock estimated now. */
  activeLease(): { lease: Lease; live: boolean; dbNow: number } | undefined {
    if (!this.seen?.view.lease) return undefined;
    const dbNow = this.seen.view.now + (this.now() - this.seen.at);
    const lease = this.seen.view.lease;
    return { lease, live: lease.expiresAt > dbNow, dbNow };
  }

  /** Tries the lease once (the server starts active when it is free), then keeps at it in the background. */
  async start(): Promise<void> {
    await this.watch();
    await this.attempt();
  }

  /** Graceful stop: the engine stops first (its last commits land), then the lease is released and the standbys told. */
  async close(): Promise<void> {
    await this.stepping;
    await this.serial(async () => {
      const held = this.lease;
      this.clearTimers();
      if (this.current === Roles.active || this.current === Roles.activating) {
        this.set(Roles.demoting);
        await this.opts.onStandby('this replica is stopping').catch((e: unknown) => this.opts.log.error({ err: e }, 'stopping the engine failed'));
      }
      this.lease = undefined;
      this.set(Roles.stopped);
      if (held) await this.opts.book.release(held).catch((e: unknown) => this.opts.log.warn({ err: e }, 'releasing the engine lease failed; a standby takes over when it expires'));
    });
    await this.unwatch?.().catch(() => undefined);
  }

  /** Re-reads the lease now (a standby that could not reach the active one). */
  async refresh(): Promise<void> {
    const view = await this.opts.book.read(ENGINE_LEASE);
    this.seen = { view, at: this.now() };
  }

  private set(next: Role): void {
    this.current = next;
  }

  /** One step at a time: attempts, renewals and stepping down never interleave. */
  private serial(step: () => Promise<void>): Promise<void> {
    const run = this.busy.then(step, step);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private schedule(ms: number, step: () => Promise<void>): void {
    if (this.current === Roles.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void step().catch((e: unknown) => this.opts.log.error({ err: e }, 'a lease step failed')), Math.max(0, ms));
    this.timer.unref();
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
  }

  private async watch(): Promise<void> {
    try {
      this.unwatch = await this.opts.book.watch(
        () => {
          if (this.current === Roles.standby) this.schedule(0, () => this.attempt());
        },
        (e) => {
          // The slow poll carries on; the next attempt listens again.
          if (this.unwatch) this.opts.log.warn({ err: e }, 'listening for lease changes stopped; polling until it listens again');
          const stop = this.unwatch;
          this.unwatch = undefined;
          void stop?.().catch(() => undefined);
        },
      );
    } catch (e) {
      this.opts.log.warn({ err: e }, 'cannot listen for lease changes; polling instead');
    }
  }

  private attempt(): Promise<void> {
    return this.serial(() => this.attemptOnce());
  }

  private async attemptOnce(): Promise<void> {
    if (this.current !== Roles.standby) return;
    if (!this.unwatch) await this.watch();
    const sent = this.now();
    let result: LeaseView & { got: boolean };
    try {
      result = await this.opts.book.acquire(ENGINE_LEASE, this.opts.id, this.opts.url, this.opts.ttlMs);
    } catch (e) {
      this.opts.log.warn({ err: e }, 'cannot reach PostgreSQL to try the engine lease; trying again');
      return this.schedule(Math.min(this.slowPollMs, this.opts.ttlMs), () => this.attempt());
    }
    this.seen = { view: result, at: this.now() };
    if (!result.got || !result.lease) {
      const left = result.lease ? result.lease.expiresAt - result.now : 0;
      // At the holder's expiry (a dead holder says nothing), or sooner on a NOTIFY or the slow poll.
      return this.schedule(Math.min(this.slowPollMs, Math.max(10, left + 10)), () => this.attempt());
    }
    await this.activate(result.lease, sent);
  }

  private async activate(lease: Lease, sent: number): Promise<void> {
    this.lease = lease;
    this.validUntil = sent + this.opts.ttlMs;
    this.renewFailing = false;
    this.set(Roles.activating);
    this.opts.log.info({ replica: this.opts.id, epoch: lease.epoch }, `this replica took the engine lease (epoch ${lease.epoch}); starting the engine`);
    this.armRenewal();
    const fence: CommitFence = {
      name: ENGINE_LEASE,
      holder: lease.holder,
      epoch: lease.epoch,
      valid: () => this.lease?.epoch === lease.epoch && this.now() < this.validUntil,
      recheck: async () => {
        if (this.lease?.epoch !== lease.epoch) return false;
        // Only a reclaim is waited for, never a step down: stopping the engine waits for this very
        // commit (a refusal makes it step down through `refused`, and the deadline timer too).
        if (this.now() >= this.validUntil && !this.renewFailing && this.stalled()) await this.reclaim(lease, this.stallReason());
        return this.lease?.epoch === lease.epoch && this.now() < this.validUntil;
      },
      refused: (why) => {
        this.opts.log.warn({ replica: this.opts.id, epoch: lease.epoch, reason: why }, `LEASE_LOST: a commit of this replica was refused and nothing of it written (${why})`);
        void this.demote(why, lease.epoch);
      },
    };
    try {
      await this.opts.onActive(lease, fence);
    } catch (e) {
      this.opts.log.error({ err: e }, 'the engine did not start on this replica; giving the lease back');
      await this.demote('the engine did not start', lease.epoch);
      return;
    }
    if (this.lease?.epoch === lease.epoch && this.current === Roles.activating) {
      this.set(Roles.active);
      this.opts.log.info({ replica: this.opts.id, epoch: lease.epoch, url: this.opts.url }, 'this replica is active');
    }
  }

  private armRenewal(): void {
    this.schedule(this.opts.ttlMs / 3, () => this.renew());
    clearTimeout(this.deadline);
    // Our own deadline: past it, commits are refused (fence.valid) and the engine stops, whatever the database would say.
    this.deadline = setTimeout(() => void this.checkDeadline(), Math.max(0, this.validUntil - this.now()) + 1);
    this.deadline.unref();
  }

  private async checkDeadline(): Promise<void> {
    const held = this.lease;
    if (!held || this.now() < this.validUntil) return;
    // On time, or a renewal failed: renewals did not get through (the database out of reach or
    // slow). Step down now, without asking it: a standby may take over at the expiry.
    if (this.renewFailing || !this.stalled()) return this.demote(`its lease renewals did not reach PostgreSQL before the lease expired (${this.opts.ttlMs} ms)`, held.epoch);
    const why = this.stallReason();
    if (await this.reclaim(held, why)) return;
    await this.demote(`${why} and the lease could not be renewed`, held.epoch);
  }

  private stallReason(): string {
    return `its event loop stalled past the lease's expiry (${Math.round(this.now() - this.validUntil)} ms past it)`;
  }

  /** Past our deadline by a tenth of the lease time or more: this process did not run in time (its event loop stalled), as opposed to renewals that did not get through. */
  private stalled(): boolean {
    return this.now() - this.validUntil >= this.opts.ttlMs / 10;
  }

  /**
   * Renews a holding that expired while nobody took it (LeaseBook.reclaim), waiting at most a
   * fifth of the lease time for the database: true if it is ours again. One at a time; callers
   * share the attempt in flight.
   */
  private reclaim(held: Lease, why: string): Promise<boolean> {
    this.reclaiming ??= this.reclaimOnce(held, why).finally(() => (this.reclaiming = undefined));
    return this.reclaiming;
  }

  private async reclaimOnce(held: Lease, why: string): Promise<boolean> {
    const sent = this.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(20, this.opts.ttlMs / 5))));
    let renewed: Lease | undefined;
    try {
      renewed = await Promise.race([this.opts.book.reclaim(held, this.opts.ttlMs), timeout]);
    } catch (e) {
      this.opts.log.warn({ err: e }, 'reclaiming the engine lease failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
    if (!renewed || this.lease?.epoch !== held.epoch) return false;
    this.keep(renewed, sent);
    this.opts.log.warn({ replica: this.opts.id, epoch: held.epoch, reason: why }, `the engine lease ran out (${why}) but no other replica took it: renewed under the same epoch (${held.epoch}); the engine carries on`);
    return true;
  }

  private async renew(): Promise<void> {
    const held = this.lease;
    if (!held) return;
    const sent = this.now();
    let renewed: Lease | undefined;
    try {
      renewed = await this.opts.book.renew(held, this.opts.ttlMs);
    } catch (e) {
      // Our holding changed meanwhile (a reclaim renewed it, or we stepped down): that step decided.
      if (this.lease !== held) return;
      this.renewFailing = true;
      if (this.now() >= this.validUntil) return this.checkDeadline();
      this.opts.log.warn({ err: e, leftMs: Math.round(this.validUntil - this.now()) }, 'renewing the engine lease failed; trying again until it expires');
      return this.schedule(this.opts.ttlMs / 6, () => this.renew());
    }
    if (this.lease !== held) return;
    if (renewed) return this.keep(renewed, sent);
    // The database answered: not renewed, expired by its clock (our renewal came late, or its
    // clock runs ahead of ours) or taken. Only the first can be reclaimed, and only if nobody took it since.
    this.renewFailing = false;
    if (await this.reclaim(held, this.stalled() ? this.stallReason() : 'the database found it expired when this replica renewed it')) return;
    if (this.lease !== held) return;
    const view = await this.opts.book.read(ENGINE_LEASE).catch(() => undefined);
    const who = view?.lease && view.lease.epoch !== held.epoch ? `replica '${view.lease.holder}' took it (epoch ${view.lease.epoch})` : 'it expired before the renewal';
    return this.demote(`the engine lease is no longer ours: ${who}`, held.epoch);
  }

  /** Our holding extended (renewed or reclaimed) by a request sent at `sent`: a new deadline and the next renewal. */
  private keep(lease: Lease, sent: number): void {
    this.lease = lease;
    this.seen = { view: { lease, now: lease.expiresAt - this.opts.ttlMs }, at: sent };
    this.validUntil = sent + this.opts.ttlMs;
    this.renewFailing = false;
    this.armRenewal();
  }

  /**
   * Steps down from the holding of `epoch` (a later holding of ours is left alone). Not queued
   * behind an activation in progress: the check and the role change are one synchronous step,
   * and the server's onStandby waits for its own onActive.
   */
  private demote(reason: string, epoch: number): Promise<void> {
    if (!this.lease || this.lease.epoch !== epoch || this.current === Roles.stopped || this.current === Roles.demoting) return this.stepping;
    const held = this.lease;
    this.stepping = this.stepDown(held, reason).finally(() => (this.stepping = Promise.resolve()));
    return this.stepping;
  }

  private async stepDown(held: Lease, reason: string): Promise<void> {
    const epoch = held.epoch;
    this.lease = undefined;
    this.clearTimers();
    this.set(Roles.demoting);
    this.opts.log.error({ replica: this.opts.id, epoch, reason }, `LEASE_LOST: this replica stops its engine and becomes a standby (${reason})`);
    await this.opts.onStandby(reason).catch((e: unknown) => this.opts.log.error({ err: e }, 'stopping the engine after losing the lease failed'));
    // Whatever is left of our holding goes, so a standby does not wait for it to expire.
    await this.opts.book.release(held).catch(() => undefined);
    this.set(Roles.standby);
    this.schedule(Math.min(this.slowPollMs, this.opts.ttlMs), () => this.attempt());
  }
}
