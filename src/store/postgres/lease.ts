/**
 * Leases between replicas on PostgreSQL (migration 0015-leases). One row per lease; the
 * `engine` lease names the active replica. Every time is the database's clock
 * (clock_timestamp() in ms), so replicas' clock skew cannot make two of them believe they hold
 * it. A new holding bumps the epoch; commits are fenced on holder and epoch (`fenceCheck`),
 * under a FOR SHARE lock, so a takeover's UPDATE waits for a commit in flight and every commit
 * after it is refused. Changes are announced on the channel `slipway_leases`.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { SlipwayError } from '../../core/errors.js';
import type { CommitFence, Lease, LeaseBook, LeaseView } from '../port.js';
import type { Database } from '../sql/schema.js';
import { CONNECT_TIMEOUT_MS } from './url.js';

export const LEASE_CHANNEL = 'slipway_leases';
const NOW = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

interface LeaseRow {
  name: string;
  holder: string;
  url: string;
  epoch: number;
  expires_at: number;
  acquired_at: number;
  now: number;
}

const leaseOf = (r: LeaseRow): Lease => ({ name: r.name, holder: r.holder, url: r.url, epoch: Number(r.epoch), expiresAt: Number(r.expires_at), acquiredAt: Number(r.acquired_at) });

export class PostgresLeases implements LeaseBook {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly connectionString: string,
  ) {}

  async acquire(name: string, holder: string, url: string, ttlMs: number): Promise<LeaseView & { got: boolean }> {
    // A lease held by a replica that hangs inside a commit must not hang the taker too: it tries again later.
    const got = await this.db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = ${sql.lit(`${Math.max(100, Math.round(ttlMs))}ms`)}`.execute(trx);
      const { rows } = await sql<LeaseRow>`
        insert into leases (name, holder, url, epoch, expires_at, acquired_at)
        select ${name}, ${holder}, ${url}, 1, t.now + ${ttlMs}, t.now from (select ${NOW} as now) t
        on conflict (name) do update set holder = excluded.holder, url = excluded.url, epoch = leases.epoch + 1,
          expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
        where leases.expires_at <= excluded.acquired_at or leases.holder = excluded.holder
        returning *, ${NOW} as now`.execute(trx);
      if (rows[0]) await sql`select pg_notify(${LEASE_CHANNEL}, ${name})`.execute(trx);
      return rows[0];
    }).catch((e: unknown) => {
      // 55P03: lock_timeout (the holder is inside a commit); the next attempt sees the outcome.
      if ((e as { code?: unknown }).code === '55P03') return undefined;
      throw e;
    });
    if (got) return { lease: leaseOf(got), now: Number(got.now), got: true };
    return { ...(await this.read(name)), got: false };
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const { rows } = await sql<LeaseRow>`
      update leases set expires_at = ${NOW} + ${ttlMs}
      where name = ${lease.name} and holder = ${lease.holder} and epoch = ${lease.epoch} and expires_at > ${NOW}
      returning *, ${NOW} as now`.execute(this.db);
    return rows[0] ? leaseOf(rows[0]) : undefined;
  }

  async reclaim(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    // expires_at 0: released (a step down); a lease that merely ran out keeps its last expiry.
    const { rows } = await sql<LeaseRow>`
      update leases set expires_at = ${NOW} + ${ttlMs}
      where name = ${lease.name} and holder = ${lease.holder} and epoch = ${lease.epoch} and expires_at <> 0
      returning *, ${NOW} as now`.execute(this.db);
    return rows[0] ? leaseOf(rows[0]) : undefined;
  }

  async release(lease: Lease): Promise<void> {
    await sql`
      with gone as (update leases set expires_at = 0 where name = ${lease.name} and holder = ${lease.holder} and epoch = ${lease.epoch} returning name)
      select pg_notify(${LEASE_CHANNEL}, name) from gone`.execute(this.db);
  }

  async read(name: string): Promise<LeaseView> {
    const { rows } = await sql<LeaseRow & { now: number }>`select l.*, t.now from (select ${NOW} as now) t left join leases l on l.name = ${name}`.execute(this.db);
    const r = rows[0];
    return r && r.name !== null ? { lease: leaseOf(r), now: Number(r.now) } : { now: Number(r?.now ?? 0) };
  }

  async watch(onChange: (name: string) => void, onError: (e: Error) => void): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    client.on('error', onError);
    client.on('end', () => onError(new Error('the LISTEN connection to PostgreSQL closed')));
    client.on('notification', (n) => onChange(n.payload ?? ''));
    await client.connect();
    await client.query(`listen ${LEASE_CHANNEL}`);
    return async () => {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    };
  }
}

/** The check an engine commit makes first, in its own transaction: throws LEASE_LOST (and nothing is written) when the lease is not ours. */
export async function fenceCheck(trx: Kysely<Database>, fence: CommitFence): Promise<void> {
  const refuse = (why: string): never => {
    fence.refused(why);
    throw new SlipwayError('LEASE_LOST', `this replica ('${fence.holder}', epoch ${fence.epoch}) may no longer commit: ${why}; it steps down to standby and the active replica carries on`, { lease: fence.name, holder: fence.holder, epoch: fence.epoch });
  };
  if (!fence.valid() && !(await fence.recheck())) refuse('its lease renewals missed the expiry');
  const { rows } = await sql<{ holder: string; epoch: number; live: boolean }>`
    select holder, epoch, expires_at > ${NOW} as live from leases where name = ${fence.name} for share`.execute(trx);
  const row = rows[0];
  if (!row) refuse(`the lease '${fence.name}' is gone`);
  else if (row.holder !== fence.holder || Number(row.epoch) !== fence.epoch) refuse(`the lease '${fence.name}' is held by '${row.holder}' (epoch ${row.epoch}) now`);
  else if (!row.live) refuse(`the lease '${fence.name}' expired`);
}
