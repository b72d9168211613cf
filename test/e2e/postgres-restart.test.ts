/**
 * PostgreSQL restarted under load (issue 13, item 5): one `slipway server` on a cluster of
 * this file's own (so restarting it disturbs no other test file), releases triggered without
 * pause through three stages of shell tasks. Mid-way the cluster is restarted
 * (`pg_ctl restart -m fast`, as its owner), and later stopped for a while and started again.
 * While it is down the server answers readiness and writes with 503 STORE, keeps running, and
 * says so in its log; afterwards every triggered release completes every stage, and each
 * task's effect (its id appended to a ledger, with no guard) happened exactly once.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../src/core/index.js';
import { createPool, storePool } from '../../src/store/postgres/connect.js';
import { parsePostgresUrl } from '../../src/store/postgres/url.js';
import { postgresBinDir, startCluster, type Cluster } from '../support/postgres-cluster.js';
import { adminQuery, createTestDatabase, pgSkipNote, pgSkipReason, withDatabase } from '../support/postgres.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

const ADMIN = 'slw_e2e-admin-token-pg-restart-0123456789';
const RELEASES = 24;
const SERVICES = ['web', 'api', 'worker'];
const STAGES = ['dev', 'staging', 'production'];

let dir: string;
let cluster: Cluster | undefined;
let server: ServerProcess | undefined;
const t0 = Date.now();
const step = (what: string) => console.log(`[pg restart] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

interface RunRow {
  id: string;
  stage: string;
  state: string;
  releaseId: string;
}

async function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server stderr:\n${server?.stderr().slice(-4000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(pgSkipReason() !== undefined || postgresBinDir() === undefined)(`PostgreSQL restarted under load ${pgSkipNote()}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-pg-restart-'));
    const ledger = join(dir, 'ledger');
    const task = (name: string) => `        - {name: ${name}, kind: shell, properties: {run: 'sleep 0.2; echo "$SLIPWAY_TASK_ID" >> ${ledger}'}}`;
    await writeFile(
      join(dir, 'slipway.yaml'),
      `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [${SERVICES.join(', ')}]
  stages:
${STAGES.map((s) => `    - name: ${s}\n      tasks:\n${task('deploy')}`).join('\n')}
`,
    );
    cluster = await startCluster(postgresBinDir()!);
    await adminQuery('create database slipway', cluster.url);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs pause while PostgreSQL restarts or is down and resume after, nothing lost or doubled, the server up throughout', async () => {
    server = await startServerProcess(['slipway.yaml', '--data', 'data', '--store', withDatabase(cluster!.url, 'slipway')], dir, {
      SLIPWAY_ADMIN_TOKEN: ADMIN,
      SLIPWAY_LOG_LEVEL: 'info',
    });
    const accepted: string[] = [];
    const refused: number[] = [];
    // A client that triggers without pause and, like a CI job, tries again after a 503.
    const trigger = async (i: number): Promise<void> => {
      for (;;) {
        const r = await request('POST', '/api/v1/projects/shop/releases', { artifacts: { [SERVICES[i % SERVICES.length]!]: `v${i}` } }).catch(() => ({ status: 0, json: {} as Record<string, unknown> }));
        if (r.status === 201 || r.status === 200) {
          accepted.push(String(r.json['releaseId']));
          return;
        }
        refused.push(r.status);
        expect([503, 0]).toContain(r.status);
        // A down longer than the lease (--lease-ms) also makes the server step down until it is back:
        // NO_ACTIVE_REPLICA / LEASE_LOST, 503 like STORE.
        if (r.status === 503) expect(['STORE', 'NO_ACTIVE_REPLICA', 'LEASE_LOST']).toContain(r.json['code']);
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    const triggering = (async () => {
      for (let i = 0; i < RELEASES; i++) {
        await trigger(i);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await until('a third of the releases', async () => (accepted.length >= RELEASES / 3 ? true : undefined));
    step(`restart -m fast after ${accepted.length} releases`);
    await cluster!.ctl('restart');
    step('restarted');

    await until('two thirds of the releases', async () => (accepted.length >= (2 * RELEASES) / 3 ? true : undefined));
    await cluster!.ctl('stop');
    step(`stopped after ${accepted.length} releases`);
    // Down: readiness says so with the store's code; the server is alive (liveness) and answers reads it can.
    const down = await until('readiness to report the store down', async () => {
      const r = await request('GET', '/readyz');
      return r.status === 503 ? r : undefined;
    });
    expect(down.json).toMatchObject({ code: 'STORE' });
    expect(String(down.json['message'])).toMatch(/the store is unavailable.*retrying/);
    expect((await request('GET', '/healthz')).status).toBe(200);
    // Long enough for shell tasks that were running to end and fail to record their reports.
    await new Promise((r) => setTimeout(r, 3_000));
    await cluster!.ctl('start');
    step('started again');
    await until('readiness back', async () => ((await request('GET', '/readyz')).status === 200 ? true : undefined));

    await triggering;
    step(`all ${RELEASES} releases accepted (${refused.length} refusals while down, retried)`);
    expect(new Set(accepted).size).toBe(RELEASES);

    const runs = await until(
      'every release to succeed in every stage',
      async () => {
        const { json } = await request('GET', '/api/v1/runs?project=shop&limit=500');
        const all = json['runs'] as RunRow[];
        const done = all.filter((r) => r.state === 'succeeded' && accepted.includes(r.releaseId));
        return done.length >= RELEASES * STAGES.length ? all : undefined;
      },
      90_000,
    );
    step('every run succeeded');
    for (const id of accepted) expect(runs.filter((r) => r.releaseId === id && r.state === 'succeeded').map((r) => r.stage).sort()).toEqual([...STAGES].sort());
    expect(runs.filter((r) => r.state !== 'succeeded')).toEqual([]);

    // Each task's effect once: no guard in the task, so a second start would show as a doubled id.
    const ledger = (await readFile(join(dir, 'ledger'), 'utf8')).trim().split('\n');
    const counts = new Map<string, number>();
    for (const id of ledger) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(counts.size).toBe(RELEASES * STAGES.length);

    expect(server!.proc.exitCode).toBeNull();
    const log = server!.stderr();
    expect(log).toMatch(/store unavailable.*retrying/);
    // An outage longer than what is left of the lease (5 s, renewed every third of it) makes the
    // server step down and take the lease again: a new engine, whose store health starts up, says
    // so instead of "store back".
    expect(log).toMatch(/store back|took the engine lease \(epoch [2-9]/);
    expect(await server!.stop()).toBe(0);
    server = undefined;
  }, 300_000);
});

describe.skipIf(pgSkipReason() !== undefined)(`the store's pool when the server ends its connections ${pgSkipNote()}`, () => {
  /** Ends every connection to `name` but the asking one, as a restart or failover does (FATAL 57P01). */
  const terminate = (name: string) => adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);

  it('a checked-out client whose connection is ended does not end the process; its next statement fails as STORE, and the pool reconnects', async () => {
    const db = await createTestDatabase();
    const target = parsePostgresUrl(db.url);
    const pool = createPool(target);
    try {
      // Checked out and idle between statements, as a transaction's client is: pg-pool has no listener on it.
      const held = await pool.connect();
      await terminate(db.name);
      // The server's goodbye arrives as an 'error' event on the client; without a listener it would end this process.
      await until('the client to see its connection end', async () => ((held as unknown as { _queryable: boolean })._queryable ? undefined : true), 10_000);
      held.release(true);

      // Through the store's view of the pool: the same failure is STORE, naming the target, not a bare driver error.
      const kyselyPool = storePool(pool, target);
      const client = await kyselyPool.connect();
      await terminate(db.name);
      const err = await client.query('select 1', []).then(
        () => undefined,
        (e: unknown) => e,
      );
      client.release(true);
      expect(isSlipwayError(err) && err.code).toBe('STORE');
      expect(String((err as Error).message)).toMatch(/the PostgreSQL store at 127\.0\.0\.1:\d+ \(database 'slipway_t_\w+', user 'postgres'\) is unavailable \(.*\); nothing of this request was written/);
      // A statement that is wrong (not a lost connection) keeps its own error.
      const again = await kyselyPool.connect();
      await expect(again.query('select nope', [])).rejects.toThrow(/column "nope" does not exist/);
      expect((await again.query<{ one: number }>('select 1 as one', [])).rows).toEqual([{ one: 1 }]);
      again.release();
    } finally {
      await pool.end();
      await db.drop();
    }
  }, 60_000);
});
