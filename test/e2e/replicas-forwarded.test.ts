/**
 * A standby forwards a trigger to the active replica, which dies before it answers (it may
 * have committed). The standby answers 503 NO_ACTIVE_REPLICA with `forwarded: true`. The CLI
 * sends the trigger again after Retry-After with the same Idempotency-Key (the replica that
 * answers it replays the first answer if the first try was applied: nothing runs twice), until
 * SLIPWAY_REPLICA_WAIT_MS runs out; then it says it may have been applied and to check. A read
 * in the same situation is sent again too. The dying active replica is a plain HTTP server that
 * drops every request it receives, named in the lease row as its holder; the standby is a real
 * replica, which forwards the key. (The fault harness on replicas met this before keys: its own
 * client re-posted after such a 503, and a release ran twice.)
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

  it('the CLI sends a trigger again with the same Idempotency-Key after the active replica died under it, and retries a read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-forwarded-'));
    db = await createTestDatabase();
    await writeProject(dir, 0.1, 0.1);
    // The "active replica": takes each request and drops the connection without an answer, as a process killed mid-request.
    const seen: string[] = [];
    const keys: unknown[] = [];
    ghost = createServer((req) => {
      seen.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
      if (req.method === 'POST') keys.push(req.headers['idempotency-key']);
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

    // Before keys the CLI could not tell a repeat from a new trigger, and stopped at once.
    const trigger = slipway(['trigger', '--server', standby.url, '--project', PROJECT, '--service', 'web', '--artifact', 'web:1', '--json'], dir, {
      SLIPWAY_TOKEN: ADMIN,
      SLIPWAY_REPLICA_WAIT_MS: '8000', // room for two sends however slow the first is
    });
    const t = await trigger.exited;
    expect(t.code, trigger.stderr()).not.toBe(0);
    const posts = seen.filter((s) => s.startsWith('POST '));
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(posts)).toEqual(new Set([`POST /api/v1/projects/${PROJECT}/releases`]));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(trigger.stderr()).toMatch(/waiting for an active replica at http:\/\/127\.0\.0\.1:\d+: /);
    expect(trigger.stderr()).toContain(`the active replica 'ghost' at ${ghostUrl} does not answer`);
    expect(trigger.stderr()).toMatch(/was sent again with the same Idempotency-Key .* It may have been applied: check whether it took effect/s);

    // A read is sent again after Retry-After (1 s) until the wait runs out.
    const runs = slipway(['runs', '--server', standby.url, '--project', PROJECT, '--json'], dir, { SLIPWAY_TOKEN: ADMIN, SLIPWAY_REPLICA_WAIT_MS: '6000' });
    const r = await runs.exited;
    expect(r.code, runs.stderr()).not.toBe(0);
    expect(runs.stderr()).toMatch(/waiting for an active replica at http:\/\/127\.0\.0\.1:\d+: /);
    expect(seen.filter((s) => s === 'GET /api/v1/runs').length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
