/**
 * A replica cut off from PostgreSQL for 10 s: the only replica reaches its database through a
 * TCP proxy this test controls. When the proxy stops forwarding (every connection dropped,
 * new ones refused), the replica cannot renew its lease: it stops its engine by itself at the
 * lease's expiry, saying so, and keeps trying. When forwarding resumes it takes the lease
 * again (a new epoch), recovers, and the runs go on to the end: nothing lost, nothing twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { PROJECT, activeReplica, allSucceeded, api, checkLog, countLines, startReplica, stopReplica, until, writeProject, type Replica, type ReplicaStatus } from './replicas-cluster.js';

/** Forwards 127.0.0.1:<port> to PostgreSQL until cut. */
class CuttableProxy {
  private readonly pairs = new Set<Socket>();
  private forwarding = true;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (!this.forwarding) return client.destroy();
      const upstream = connect(this.target.port, this.target.host);
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        this.pairs.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => (this.pairs.delete(a), b.destroy()));
        a.pipe(b);
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.forwarding = false;
    for (const s of this.pairs) s.destroy();
  }

  resume(): void {
    this.forwarding = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server?.close(r));
  }
}

let dir: string | undefined;
let db: TestDatabase | undefined;
let proxy: CuttableProxy | undefined;
const replicas: Replica[] = [];

describe.skipIf(pgSkipReason() !== undefined)(`replicas: cut off from PostgreSQL for 10 s ${pgSkipNote()}`, () => {
  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    await proxy?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs pause while the replica cannot reach its database and resume after, nothing lost or doubled, with clear log lines', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-cutoff-'));
    db = await createTestDatabase();
    const direct = new URL(db.url);
    proxy = new CuttableProxy({ host: direct.hostname, port: Number(direct.port) });
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    await writeProject(dir, 0.5, 0.2);
    const only = await startReplica(dir, 'A', viaProxy.toString(), 1_500);
    replicas.push(only);
    await activeReplica(replicas);
    const RELEASES = 4;
    for (let i = 0; i < RELEASES; i++) await api(only.url, `/api/v1/projects/${PROJECT}/releases`, { method: 'POST', body: { artifacts: { web: `web:${i}` } } });
    await until('a dev task to start', async () => ((await countLines(dir!, 'starts')).size > 0 ? true : undefined));

    proxy.cut();
    // The replica notices on its own, at its lease's expiry, without the database telling it.
    await until('the replica to step down', async () => (/LEASE_LOST: this replica stops its engine.*did not reach PostgreSQL/.test(only.child.stderr()) ? true : undefined), 30_000, () => only.child.stderr().slice(-4000));
    const cutAt = Date.now();
    // Meanwhile it answers, saying why it cannot serve (its status reads the database: that fails with STORE).
    const during = await fetch(`${only.url}/api/v1/runs?project=${PROJECT}`, { headers: { authorization: 'Bearer x' }, signal: AbortSignal.timeout(10_000) });
    expect(during.status).toBeGreaterThanOrEqual(400);
    // The scenario is "10 s without the database": wait out the rest of them.
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - cutAt))));
    proxy.resume();

    await until(
      'the replica to take the lease again',
      async () => {
        const s = await api<ReplicaStatus>(only.url, '/api/v1/system/replicas');
        return s.replica.role === 'active' && s.active!.epoch >= 2 ? true : undefined;
      },
      60_000,
      () => only.child.stderr().slice(-6000),
    );
    const runs = await allSucceeded(replicas, RELEASES * 2, 120_000);
    expect(runs.filter((r) => r.state !== 'succeeded')).toEqual([]);
    const log = await checkLog(db.url);
    expect(log.finishedTwice).toEqual([]);
    expect(log.runFinishedTwice).toEqual([]);
    const ledger = await countLines(dir, 'ledger');
    expect([...log.passed].filter((id) => ledger.get(id) !== 1)).toEqual([]);
    expect([...ledger.keys()].filter((id) => !log.passed.has(id))).toEqual([]);
    // What an operator reads: the step down, the failed attempts, the takeover.
    expect(only.child.stderr()).toMatch(/cannot reach PostgreSQL to try the engine lease/);
    expect(only.child.stderr()).toMatch(/this replica took the engine lease \(epoch 2\)/);
  }, 240_000);
});
