/**
 * One engine per database for a store opened without the replicas' lease (an embedder's
 * `openSlipway` on PostgreSQL; `slipway server` takes the lease instead, see lease.ts): it
 * holds a session advisory lock on a connection of its own for as long as its store is open,
 * as the data directory's lock does for SQLite. Two engines on one database would dispatch
 * the same tasks twice. The lock goes with its connection: a server killed with -9 loses its
 * TCP connection and PostgreSQL releases the lock at once.
 */
import { hostname } from 'node:os';
import { SlipwayError } from '../../core/errors.js';
import { connectClient } from './connect.js';
import { describe, type PostgresTarget } from './url.js';

/** 'slip' 'way' as one 64-bit key, so no other application's advisory lock collides by accident. */
const LOCK_KEY = '8317145683484213625';

export interface DatabaseHold {
  release(): Promise<void>;
}

export async function holdDatabase(t: PostgresTarget): Promise<DatabaseHold> {
  // The server restarting drops this connection (and the lock); the store's pool reconnects by itself.
  const client = await connectClient(t, `slipway server pid ${process.pid} on ${hostname()}`);
  try {
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [LOCK_KEY]);
    if (rows[0]?.ok !== true) {
      const holder = await client
        .query<{ who: string; since: string }>(
          `select a.application_name as who, a.backend_start::text as since from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.locktype = 'advisory' and l.granted and ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint limit 1`,
          [LOCK_KEY],
        )
        .then((r) => r.rows[0])
        .catch(() => undefined);
      const who = holder ? `'${holder.who || 'a session without a name'}' (connected since ${holder.since})` : 'another session';
      throw new SlipwayError(
        'STORE',
        `the PostgreSQL store at ${describe(t)} is in use by ${who}; one Slipway server per database unless they run as replicas ('slipway server --store postgres://…' takes the replicas' lease, docs/operating.md#replicas): stop the other process, start both as servers, or give this one a database of its own`,
        { host: t.host, port: t.port, database: t.database },
      );
    }
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return { release: () => client.end().catch(() => undefined) };
}
