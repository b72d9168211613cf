/**
 * A lone active replica on PostgreSQL whose process stalls past its lease (SIGSTOP for longer
 * than `--lease-ms`, as a long pause of a VM or a swap storm would) while releases are in
 * flight and a shell task runs. Nobody took the lease meanwhile, so on waking it renews it under
 * the same epoch and carries on: no LEASE_LOST, no engine restart, and every run ends once
 * (each task's command started once, its effect in the ledger). Before, it stepped down, gave the lease back and
 * took it again with a new epoch, restarting its engine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { PROJECT, activeReplica, allSucceeded, api, checkLog, countLines, startReplica, stopReplica, until, writeProject, type Replica, type ReplicaStatus } from './replicas-cluster.js';

let dir: string | undefined;
let db: TestDatabase | undefined;
const replicas: Replica[] = [];
// 5 s: renewals every 1.7 s and a second to reclaim on waking. With 1 s, a renewal or the
// reclaim answered a few hundred ms late on a loaded machine stepped down for real.
const LEASE_MS = 5_000;

describe.skipIf(pgSkipReason() !== undefined)(`replicas: a lone active replica stalls past its lease ${pgSkipNote()}`, () => {
  afterAll(async () => {
    for (const r of replicas) r.child.proc.kill('SIGCONT');
    await Promise.all(replicas.map(stopReplica));
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renews the lease under the same epoch on waking, without a restart, and every run ends once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-stall-'));
    db = await createTestDatabase();
    await writeProject(dir, 1.5, 0.1);
    const a = await startReplica(dir, 'A', db.url, LEASE_MS);
    replicas.push(a);
    await activeReplica(replicas);
    const before = await api<ReplicaStatus>(a.url, '/api/v1/system/replicas');
    expect(before.active!.epoch).toBe(1);

    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api<{ releaseId: string }>(a.url, `/api/v1/projects/${PROJECT}/releases`, { method: 'POST', body: { artifacts: { web: `web:${i}` } } });
      created.push(r.releaseId);
    }
    await until('a dev task to start', async () => ((await countLines(dir!, 'starts')).size >= 1 ? true : undefined));

    a.child.proc.kill('SIGSTOP');
    // Past the lease by the database's clock, with a margin for a loaded machine.
    await new Promise((r) => setTimeout(r, LEASE_MS + 3_000));
    const expired = await adminQuery(`select expires_at < (extract(epoch from clock_timestamp()) * 1000)::bigint as expired from leases where name = 'engine'`, db.url);
    expect((expired.rows[0] as { expired?: boolean } | undefined)?.expired, 'the lease ran out while the replica was stopped').toBe(true);
    a.child.proc.kill('SIGCONT');

    await until('the woken replica to say it renewed the lease under the same epoch', async () => (/renewed under the same epoch \(1\)/.test(a.child.stderr()) ? true : undefined), 30_000, () => a.child.stderr().slice(-5000));
    const runs = await allSucceeded(replicas, created.length * 2);
    expect(runs.filter((r) => r.state === 'succeeded')).toHaveLength(created.length * 2);

    const after = await api<ReplicaStatus>(a.url, '/api/v1/system/replicas');
    expect(after.replica.role).toBe('active');
    expect(after.active).toMatchObject({ id: 'A', epoch: 1 });
    expect(a.child.stderr()).not.toMatch(/LEASE_LOST/);
    // One engine start: the one at boot.
    expect(a.child.stderr().match(/took the engine lease/g)).toHaveLength(1);

    const log = await checkLog(db.url);
    expect(log.finishedTwice).toEqual([]);
    expect(log.runFinishedTwice).toEqual([]);
    // Each task's command started once (a restarted engine re-dispatches or adopts them) and its effect is in the ledger.
    const starts = await countLines(dir, 'starts');
    expect([...starts.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(starts.size).toBe(created.length * 2);
    expect((await countLines(dir, 'ledger')).size).toBe(created.length * 2);
  });
});
