/**
 * The engine lease on a real PostgreSQL (src/store/postgres/lease.ts): taking, renewing,
 * expiry by the database's clock, epochs, release with a notification, and the fence that
 * refuses a stale replica's commit and writes nothing of it.
 */
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type CommitFence, type Lease, type PostgresStore } from '../../src/store/index.js';
import { adminQuery, createTestDatabase, emptyDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { aRun, anEvent, batch } from './fixtures.js';

const TTL = 60_000;

describe.skipIf(pgSkipReason() !== undefined)(`PostgreSQL engine lease ${pgSkipNote()}`, () => {
  let db: TestDatabase;
  let a: PostgresStore;
  let b: PostgresStore;
  beforeAll(async () => {
    db = await createTestDatabase();
    a = await openPostgresStore({ url: db.url });
    b = await openPostgresStore({ url: db.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const fresh = async () => {
    a.setFence(undefined);
    await emptyDatabase(db.url);
  };

  it('the first replica takes it at epoch 1; another is told who holds it and until when', async () => {
    await fresh();
    const first = await a.leases.acquire('engine', 'r1', 'http://127.0.0.1:1', TTL);
    expect(first.got).toBe(true);
    expect(first.lease).toMatchObject({ holder: 'r1', url: 'http://127.0.0.1:1', epoch: 1 });
    expect(first.lease!.expiresAt - first.lease!.acquiredAt).toBe(TTL);
    const second = await b.leases.acquire('engine', 'r2', 'http://127.0.0.1:2', TTL);
    expect(second.got).toBe(false);
    expect(second.lease).toMatchObject({ holder: 'r1', epoch: 1 });
    expect(second.lease!.expiresAt).toBeGreaterThan(second.now);
  });

  it('renewing extends only the holder’s own epoch; an expired lease is taken with the next epoch and cannot be renewed by its old holder', async () => {
    await fresh();
    // Taken for long, then renewed for 150 ms: taking it for 150 ms left that long for the
    // acquire's commit and the renewal's round trip on a loaded machine.
    const short = (await a.leases.acquire('engine', 'r1', 'u1', TTL)).lease!;
    const renewed = await a.leases.renew(short, 150);
    expect(renewed?.epoch).toBe(1);
    expect(await b.leases.renew({ ...short, holder: 'r2' }, 150)).toBeUndefined();
    // Expiry is the database's clock: wait until it says so.
    for (let v = await b.leases.read('engine'); v.lease!.expiresAt > v.now; v = await b.leases.read('engine')) await new Promise((r) => setTimeout(r, 20));
    const taken = await b.leases.acquire('engine', 'r2', 'u2', TTL);
    expect(taken).toMatchObject({ got: true, lease: { holder: 'r2', epoch: 2 } });
    expect(await a.leases.renew(renewed!, TTL)).toBeUndefined();
  });

  it('an expired lease nobody took is reclaimed by its holder under the same epoch; not once another took it, nor after a release', async () => {
    await fresh();
    const untilExpired = async () => {
      for (let v = await b.leases.read('engine'); v.lease!.expiresAt > v.now; v = await b.leases.read('engine')) await new Promise((r) => setTimeout(r, 20));
    };
    const held = (await a.leases.acquire('engine', 'r1', 'u1', 150)).lease!;
    await untilExpired();
    expect(await a.leases.renew(held, 150)).toBeUndefined();
    const back = await a.leases.reclaim(held, TTL);
    expect(back).toMatchObject({ holder: 'r1', epoch: 1 });
    // Live again: nobody else can take it now.
    expect(await b.leases.acquire('engine', 'r2', 'u2', TTL)).toMatchObject({ got: false, lease: { holder: 'r1', epoch: 1 } });

    // Expired and taken by another: the old holder cannot reclaim it.
    await fresh();
    const old = (await a.leases.acquire('engine', 'r1', 'u1', 150)).lease!;
    await untilExpired();
    expect(await b.leases.acquire('engine', 'r2', 'u2', TTL)).toMatchObject({ got: true, lease: { epoch: 2 } });
    expect(await a.leases.reclaim(old, TTL)).toBeUndefined();
    expect((await b.leases.read('engine')).lease).toMatchObject({ holder: 'r2', epoch: 2 });

    // Released (a step down): not brought back.
    await fresh();
    const given = (await a.leases.acquire('engine', 'r1', 'u1', TTL)).lease!;
    await a.leases.release(given);
    expect(await a.leases.reclaim(given, TTL)).toBeUndefined();
    expect(await b.leases.acquire('engine', 'r2', 'u2', TTL)).toMatchObject({ got: true });
  });

  it('a released lease is taken at once, and the release is announced to listeners', async () => {
    await fresh();
    const heard: string[] = [];
    const stop = await b.leases.watch((name) => heard.push(name), () => undefined);
    try {
      const held = (await a.leases.acquire('engine', 'r1', 'u1', TTL)).lease!;
      await a.leases.release(held);
      const taken = await b.leases.acquire('engine', 'r2', 'u2', TTL);
      expect(taken).toMatchObject({ got: true, lease: { holder: 'r2', epoch: 2 } });
      const deadline = Date.now() + 5_000;
      while (heard.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // Taken, released, taken again.
      expect(heard).toEqual(['engine', 'engine', 'engine']);
    } finally {
      await stop();
    }
  });

  it('a replica restarted under the same id takes its lease back at once, with a new epoch', async () => {
    await fresh();
    await a.leases.acquire('engine', 'r1', 'u1', TTL);
    const again = await b.leases.acquire('engine', 'r1', 'u1-new', TTL);
    expect(again).toMatchObject({ got: true, lease: { holder: 'r1', url: 'u1-new', epoch: 2 } });
  });

  it('the fence lets the holder commit, and refuses a stale epoch with LEASE_LOST writing nothing', async () => {
    await fresh();
    const held = (await a.leases.acquire('engine', 'r1', 'u1', TTL)).lease!;
    const refusals: string[] = [];
    const fence = (l: Lease, valid = true): CommitFence => ({ name: 'engine', holder: l.holder, epoch: l.epoch, valid: () => valid, recheck: () => Promise.resolve(false), refused: (why) => refusals.push(why) });
    a.setFence(fence(held));
    await a.commit(batch({ runs: [aRun({ id: 'run-1' })], events: [anEvent({ id: 'in-1.0' })] }));
    expect(await a.getRun('run-1')).toBeDefined();
    // r2 takes over (r1's lease released): r1's next commit is refused.
    await b.leases.release(held);
    await b.leases.acquire('engine', 'r2', 'u2', TTL);
    const refused = await a.commit(batch({ runs: [aRun({ id: 'run-2' })], events: [anEvent({ id: 'in-2.0' })] })).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'LEASE_LOST', message: expect.stringContaining("held by 'r2' (epoch 2)") });
    expect(await a.getRun('run-2')).toBeUndefined();
    expect(refusals).toHaveLength(1);
    // A replica that knows it missed its renewals refuses without asking.
    a.setFence(fence({ ...held, holder: 'r2', epoch: 2 }, false));
    const local = await a.commit(batch({ runs: [aRun({ id: 'run-3' })] })).catch((e: unknown) => e);
    expect(local).toMatchObject({ code: 'LEASE_LOST', message: expect.stringContaining('missed the expiry') });
    expect(await a.getRun('run-3')).toBeUndefined();
  });

  it('direct changes (tokens, secrets, pipeline versions) are fenced too: a replica that lost the lease writes none of them, nor their audit rows', async () => {
    await fresh();
    const held = (await a.leases.acquire('engine', 'r1', 'u1', TTL)).lease!;
    const refusals: string[] = [];
    a.setFence({ name: 'engine', holder: held.holder, epoch: held.epoch, valid: () => true, recheck: () => Promise.resolve(true), refused: (why) => refusals.push(why) });
    const draft = (target: string) => ({ at: 1, actor: 'token:admin', action: 'token.create', target });
    await a.addToken({ id: 't1', name: 'first', hash: 'h1', scopes: ['read'], createdAt: 1 }, draft('first'));
    expect((await a.listTokens()).map((t) => t.name)).toEqual(['first']);
    await b.leases.release(held);
    await b.leases.acquire('engine', 'r2', 'u2', TTL);
    const audits = (await a.auditRows({})).length;
    const refused = await a.addToken({ id: 't2', name: 'second', hash: 'h2', scopes: ['read'], createdAt: 2 }, draft('second')).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'LEASE_LOST', message: expect.stringContaining("held by 'r2' (epoch 2)") });
    const unaudited = await a.deleteToken('t1').catch((e: unknown) => e);
    expect(unaudited).toMatchObject({ code: 'LEASE_LOST' });
    expect((await a.listTokens()).map((t) => t.name)).toEqual(['first']);
    expect((await a.auditRows({})).length).toBe(audits);
    expect(refusals).toHaveLength(2);
  });

  it('renewals have a connection of their own: a pool busy to its last connection does not hold them up', async () => {
    await fresh();
    const busy = await openPostgresStore({ url: `${db.url}${db.url.includes('?') ? '&' : '?'}pool=1` });
    try {
      const held = (await busy.leases.acquire('engine', 'r1', 'u1', TTL)).lease!;
      // The store's only pooled connection sleeps; a renewal through that pool would wait for it.
      let slept = false;
      const sleeping = sql`select pg_sleep(2)`.execute((busy as unknown as { db: Kysely<unknown> }).db).then(() => (slept = true));
      const renewed = await busy.leases.renew(held, TTL);
      expect(renewed?.epoch).toBe(held.epoch);
      expect(slept).toBe(false);
      await sleeping;
    } finally {
      await busy.close();
    }
  });

  it('a takeover waits for a commit in flight (its FOR SHARE lock on the lease row) and lands after it', async () => {
    await fresh();
    const held = (await a.leases.acquire('engine', 'r1', 'u1', 200)).lease!;
    // A commit in flight, held open by hand: its fence read took the lease row FOR SHARE.
    const inflight = new pg.Client({ connectionString: db.url });
    await inflight.connect();
    try {
      await inflight.query('begin');
      await inflight.query(`select holder from leases where name = 'engine' and epoch = $1 for share`, [held.epoch]);
      for (let v = await b.leases.read('engine'); v.lease!.expiresAt > v.now; v = await b.leases.read('engine')) await new Promise((r) => setTimeout(r, 20));
      let done = false;
      const taking = b.leases.acquire('engine', 'r2', 'u2', TTL).finally(() => (done = true));
      // The taker's UPDATE is seen waiting on a lock while the commit is open.
      const waiting = async () => (await adminQuery(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`, db.url)).rows[0].n as number;
      const deadline = Date.now() + 5_000;
      while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await waiting()).toBe(1);
      expect(done).toBe(false);
      await inflight.query('commit');
      expect(await taking).toMatchObject({ got: true, lease: { holder: 'r2', epoch: held.epoch + 1 } });
    } finally {
      await inflight.end();
    }
  });
});
