/**
 * A standby forwards a trigger to the active replica, which dies before it answers (it may
 * have committed). The standby answers 503 NO_ACTIVE_REPLICA with `forwarded: true`, and the
 * CLI does not send the trigger again (it would run twice: a POST of an existing release
 * triggers it again); it stops and says to check. A read in the same situation is still sent
 * again after Retry-After. The dying active replica is a plain HTTP server that drops every
 * request it receives, named in the lease row as its holder; the standby is a real replica.
 * (The fault harness on replicas met this: its own client re-posted after such a 503, and a
 * release ran twice.)
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { ADMIN, PROJECT, api, startReplica, stopReplica, writeProject, type Replica, type ReplicaStatus } from './replicas-cluster.js';
import { slipway } from './support/slipway-process.js';

let dir: string | undefined;
let db: TestDatabase | undefined;
let ghost: Server | undefined;
let standby: Replica | undefined;

describe.skipIf(pgSkipReason() !== undefined)(`replicas: a forwarded request whose active replica died ${pgSkipNote()}`, () => {
  afterAll(async () => {
    if (standby) await stopReplica(standby);
    await new Promise((r) => (ghost ? ghost.close(r) : r(undefined)));
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the CLI does not send a trigger again after the active replica died under it, and still retries a read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-forwarded-'));
    db = await createTestDatabase();
    await writeProject(dir, 0.1, 0.1);
    // The "active replica": takes each request and drops the connection without an answer, as a process killed mid-request.
    const seen: string[] = [];
    ghost = createServer((req) => {
      seen.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    await new Promise<void>((r) => ghost!.listen(0, '127.0.0.1', r));
    const ghostUrl = `http://127.0.0.1:${(ghost.address() as { port: number }).port}`;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Its lease runs for 10 minutes (the database's clock): the real replica stays a standby and forwards to it.
    await client.query(
      `insert into leases (name, holder, url, epoch, expires_at, acquired_at)
       select 'engine', 'ghost', $1, 1, t.now + 600000, t.now from (select (extract(epoch from clock_timestamp()) * 1000)::bigint as now) t`,
      [ghostUrl],
    );
    await client.end();
    standby = await startReplica(dir, 'S', db.url, 1_500);
    const status = await api<ReplicaStatus>(standby.url, '/api/v1/system/replicas');
    expect(status).toMatchObject({ replica: { id: 'S', role: 'standby' }, active: { id: 'ghost', url: ghostUrl } });

    // Without the fix the CLI sent the trigger again every second until SLIPWAY_REPLICA_WAIT_MS ran out.
    const trigger = slipway(['trigger', '--server', standby.url, '--project', PROJECT, '--service', 'web', '--artifact', 'web:1', '--json'], dir, {
      SLIPWAY_TOKEN: ADMIN,
      SLIPWAY_REPLICA_WAIT_MS: '4000',
    });
    const t = await trigger.exited;
    expect(t.code, trigger.stderr()).not.toBe(0);
    expect(seen.filter((s) => s.startsWith('POST '))).toEqual([`POST /api/v1/projects/${PROJECT}/releases`]);
    expect(trigger.stderr()).toMatch(/NO_ACTIVE_REPLICA|no active replica/);
    expect(trigger.stderr()).toContain(`the active replica 'ghost' at ${ghostUrl} does not answer`);
    expect(trigger.stderr()).toMatch(/may have been applied.*Not sent again: check whether it took effect/s);

    // A read is sent again after Retry-After (1 s) until the wait runs out.
    const runs = slipway(['runs', '--server', standby.url, '--project', PROJECT, '--json'], dir, { SLIPWAY_TOKEN: ADMIN, SLIPWAY_REPLICA_WAIT_MS: '2500' });
    const r = await runs.exited;
    expect(r.code, runs.stderr()).not.toBe(0);
    expect(runs.stderr()).toMatch(/waiting for an active replica at http:\/\/127\.0\.0\.1:\d+: /);
    expect(seen.filter((s) => s === 'GET /api/v1/runs').length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
