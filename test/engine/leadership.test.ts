/**
 * The leadership state machine (src/engine/leadership.ts) against an in-memory lease book:
 * taking a free lease, keeping it by renewals, stepping down by itself when renewals cannot
 * reach the database before the expiry (no word from the database needed), stepping down when
 * another replica took it, giving it back when the engine does not start, and releasing it
 * on close after the engine stopped, and carrying on after a stall of its own event loop past
 * the expiry when nobody took the lease. The same rules on real PostgreSQL: test/store/postgres-lease.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Leadership } from '../../src/engine/index.js';
import type { CommitFence, Lease, LeaseBook, LeaseView } from '../../src/store/index.js';

/** One lease row, with the database's clock = Date.now(); `down` makes every call fail as an unreachable database would. */
class MemoryBook implements LeaseBook {
  lease: Lease | undefined;
  down = false;
  renewals = 0;
  reclaims = 0;
  renewAnswerMs = 0;
  /** The next renewal finds the lease expired by the database's clock (a late renewal, or a clock running ahead), nobody having taken it. */
  expireAtNextRenewal = false;
  released: number[] = [];
  private readonly listeners = new Set<(name: string) => void>();

  private check(): void {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  }

  async acquire(name: string, holder: string, url: string, ttlMs: number): Promise<LeaseView & { got: boolean }> {
    this.check();
    const now = Date.now();
    if (!this.lease || this.lease.expiresAt <= now || this.lease.holder === holder) {
      this.lease = { name, holder, url, epoch: (this.lease?.epoch ?? 0) + 1, expiresAt: now + ttlMs, acquiredAt: now };
      for (const l of this.listeners) l(name);
      return { lease: { ...this.lease }, now, got: true };
    }
    return { lease: { ...this.lease }, now, got: false };
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    this.check();
    const now = Date.now();
    const l = this.lease;
    if (this.expireAtNextRenewal && l) {
      this.expireAtNextRenewal = false;
      l.expiresAt = now - 1;
    }
    const answer = !l || l.holder !== lease.holder || l.epoch !== lease.epoch || l.expiresAt <= now ? undefined : ((this.renewals++, (l.expiresAt = now + ttlMs)), { ...l });
    // A slow answer: decided when asked, heard later.
    if (this.renewAnswerMs > 0) await new Promise((r) => setTimeout(r, this.renewAnswerMs));
    return answer;
  }

  async reclaim(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    this.check();
    const l = this.lease;
    if (!l || l.holder !== lease.holder || l.epoch !== lease.epoch || l.expiresAt === 0) return undefined;
    this.reclaims++;
    l.expiresAt = Date.now() + ttlMs;
    return { ...l };
  }

  async release(lease: Lease): Promise<void> {
    this.check();
    if (this.lease && this.lease.holder === lease.holder && this.lease.epoch === lease.epoch) {
      this.lease.expiresAt = 0;
      this.released.push(lease.epoch);
      for (const l of this.listeners) l(lease.name);
    }
  }

  async read(): Promise<LeaseView> {
    this.check();
    return { ...(this.lease ? { lease: { ...this.lease } } : {}), now: Date.now() };
  }

  watch(onChange: (name: string) => void): Promise<() => Promise<void>> {
    this.listeners.add(onChange);
    return Promise.resolve(() => (this.listeners.delete(onChange), Promise.resolve()));
  }
}

const TTL = 150;

/** Blocks this process's event loop for `ms`, as a long pause would: no timer or I/O runs meanwhile. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `stopWaitsFor`: what stopping the engine waits for (a commit in flight, as the engine's stop does). */
function replica(book: MemoryBook, id: string, engine: { fail?: boolean; stopWaitsFor?: () => Promise<unknown> } = {}) {
  const seen = { fence: undefined as CommitFence | undefined, actives: 0, standbys: [] as string[] };
  const leadership = new Leadership({
    book,
    id,
    url: `http://${id}`,
    ttlMs: TTL,
    slowPollMs: 50,
    log: pino({ level: 'silent' }),
    onActive: (_lease, fence) => {
      if (engine.fail) return Promise.reject(new Error('the data directory is locked'));
      seen.fence = fence;
      seen.actives++;
      return Promise.resolve();
    },
    onStandby: async (reason) => {
      seen.standbys.push(reason);
      await engine.stopWaitsFor?.();
    },
  });
  return { leadership, seen };
}

describe('leadership', () => {
  it('takes a free lease, starts the engine under a fence, and keeps the lease by renewing it', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    expect(a.leadership.role).toBe('active');
    expect(a.seen.fence).toMatchObject({ name: 'engine', holder: 'a', epoch: 1 });
    // recheck, not valid(): with a 150 ms lease, a worker held up that long between the last
    // renewal and this line finds the local deadline passed; recheck renews it as the engine would.
    expect(await a.seen.fence!.recheck()).toBe(true);
    await until('several renewals', () => book.renewals >= 4);
    expect(a.leadership.role).toBe('active');
    expect(await a.seen.fence!.recheck()).toBe(true);
    await a.leadership.close();
  });

  it('a second replica stands by, learns who is active, and takes over when the lease is released', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    const b = replica(book, 'b');
    await a.leadership.start();
    await b.leadership.start();
    expect(b.leadership.role).toBe('standby');
    expect(b.leadership.activeLease()).toMatchObject({ lease: { holder: 'a', url: 'http://a' }, live: true });
    await a.leadership.close();
    // The engine stopped before the lease went.
    expect(a.seen.standbys).toEqual(['this replica is stopping']);
    expect(book.released).toEqual([1]);
    await until('b to take over', () => b.leadership.role === 'active');
    expect(b.seen.fence).toMatchObject({ holder: 'b', epoch: 2 });
    await b.leadership.close();
  });

  it('steps down by itself at its own deadline when renewals cannot reach the database, and takes the lease again once it can', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    const fence = a.seen.fence!;
    book.down = true;
    await until('a to step down', () => a.leadership.role === 'standby');
    expect(a.seen.standbys).toHaveLength(1);
    expect(a.seen.standbys[0]).toMatch(/did not reach PostgreSQL before the lease expired/);
    // Commits are refused from now on, without asking the database.
    expect(fence.valid()).toBe(false);
    expect(a.leadership.role).toBe('standby');
    book.down = false;
    await until('a to be active again', () => a.leadership.role === 'active');
    expect(a.seen.fence).toMatchObject({ holder: 'a', epoch: 2 });
    expect(fence.valid()).toBe(false);
    await a.leadership.close();
  });

  it('after its own event loop stalled past the expiry, it renews the lease under the same epoch when nobody took it: no restart, and a commit waiting on it goes ahead', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    const fence = a.seen.fence!;
    stall(3 * TTL);
    // The lease ran out by the database's clock and by this process's own deadline.
    expect(book.lease!.expiresAt).toBeLessThan(Date.now());
    expect(fence.valid()).toBe(false);
    // A commit asks before it is refused: the answer waits for the reclaim.
    expect(await fence.recheck()).toBe(true);
    expect(fence.valid()).toBe(true);
    expect(book.reclaims).toBe(1);
    expect(book.lease).toMatchObject({ holder: 'a', epoch: 1 });
    expect(book.lease!.expiresAt).toBeGreaterThan(Date.now());
    // It keeps it by renewals as before, with the engine it had.
    const renewals = book.renewals;
    await until('renewals after the stall', () => book.renewals >= renewals + 3);
    expect(a.leadership.role).toBe('active');
    expect(a.seen.actives).toBe(1);
    expect(a.seen.standbys).toEqual([]);
    await a.leadership.close();
  });

  it('a renewal the database answers with "expired" while nobody took the lease (sent late, or its clock runs ahead) renews it under the same epoch: no step down', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    book.expireAtNextRenewal = true;
    await until('the reclaim', () => book.reclaims === 1);
    const renewals = book.renewals;
    await until('renewals after the reclaim', () => book.renewals >= renewals + 2);
    expect(a.seen.standbys).toEqual([]);
    expect(a.seen.actives).toBe(1);
    expect(a.leadership.role).toBe('active');
    expect(book.lease).toMatchObject({ holder: 'a', epoch: 1 });
    expect(await a.seen.fence!.recheck()).toBe(true);
    await a.leadership.close();
  });

  it('a renewal that found the lease expired but is answered after the reclaim renewed it does not make it step down', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    book.renewAnswerMs = 40;
    stall(3 * TTL);
    // On waking, the overdue renewal asks first (and finds it expired); the deadline's reclaim answers before it does.
    await until('the reclaim', () => book.reclaims === 1);
    book.renewAnswerMs = 0;
    const renewals = book.renewals;
    await until('renewals after the stall', () => book.renewals >= renewals + 3);
    expect(a.seen.standbys).toEqual([]);
    expect(a.leadership.role).toBe('active');
    expect(book.lease).toMatchObject({ holder: 'a', epoch: 1 });
    await a.leadership.close();
  });

  it('after a stall past the expiry during which another replica took the lease, it steps down, and the commit is refused without waiting for the step down', async () => {
    const book = new MemoryBook();
    // Stopping the engine waits for the commit in flight, which waits on the recheck: the
    // recheck must not wait for the step down in turn.
    let commit: Promise<boolean> = Promise.resolve(true);
    const a = replica(book, 'a', { stopWaitsFor: () => commit });
    await a.leadership.start();
    const fence = a.seen.fence!;
    stall(3 * TTL);
    // b took it while a did not run.
    expect((await book.acquire('engine', 'b', 'http://b', 60_000)).got).toBe(true);
    commit = fence.recheck();
    expect(await commit).toBe(false);
    await until('a to step down', () => a.leadership.role === 'standby');
    expect(a.seen.standbys).toHaveLength(1);
    // Named by whichever noticed first: the renewal (who took it) or the deadline (the stall).
    expect(a.seen.standbys[0]).toMatch(/replica 'b' took it \(epoch 2\)|event loop stalled past the lease's expiry \(\d+ ms past it\) and the lease could not be renewed/);
    expect(book.lease).toMatchObject({ holder: 'b', epoch: 2 });
    await a.leadership.close();
  });

  it('steps down when another replica holds the lease now, naming it', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    // As if a's renewals had stalled past the expiry and b took the lease.
    book.lease = { ...book.lease!, holder: 'b', url: 'http://b', epoch: 2, expiresAt: Date.now() + 60_000 };
    await until('a to step down', () => a.leadership.role === 'standby');
    expect(a.seen.standbys[0]).toMatch(/replica 'b' took it \(epoch 2\)/);
    expect(a.leadership.role).toBe('standby');
    expect(a.seen.fence!.valid()).toBe(false);
    await a.leadership.close();
    expect(book.lease).toMatchObject({ holder: 'b', epoch: 2 });
  });

  it('a refused commit makes it step down at once', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a');
    await a.leadership.start();
    a.seen.fence!.refused("the lease 'engine' is held by 'b' (epoch 2) now");
    await until('a to step down', () => a.seen.standbys.length === 1);
    expect(a.seen.standbys[0]).toContain("held by 'b'");
    await a.leadership.close();
  });

  it('gives the lease back when its engine does not start, so another replica can take it', async () => {
    const book = new MemoryBook();
    const a = replica(book, 'a', { fail: true });
    await a.leadership.start();
    expect(a.leadership.role).toBe('standby');
    expect(book.released).toEqual([1]);
    const b = replica(book, 'b');
    await b.leadership.start();
    expect(b.leadership.role).toBe('active');
    await a.leadership.close();
    await b.leadership.close();
  });
});
