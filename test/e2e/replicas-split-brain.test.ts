/**
 * Trying hard to make two replicas advance a run at once. Leases of 1 s (400 ms made the
 * replicas on a loaded CI machine hand the lease back and forth: a takeover's engine start
 * held the event loop longer than the lease, and no standby ever became active); the active
 * replica is frozen (SIGSTOP) while releases flow and its shell tasks keep running; a
 * standby takes over; the frozen one is woken (SIGCONT) believing it is active, with task
 * results to commit. Its commits are refused (LEASE_LOST), it becomes a standby, and the
 * event log shows no run advanced twice: no task attempt finished twice, no run finished
 * twice, every run ended succeeded, every effect once. A request a standby forwards to the
 * frozen replica is answered (503 NO_ACTIVE_REPLICA after SLIPWAY_FORWARD_TIMEOUT_MS, 1.5 s
 * here), not held until the frozen one wakes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { ADMIN, PROJECT, activeReplica, api, call, checkLog, countLines, startReplica, stopReplica, until, writeProject, type Replica, type ReplicaStatus, type RunRow } from './replicas-cluster.js';

let dir: string | undefined;
let db: TestDatabase | undefined;
const replicas: Replica[] = [];

describe.skipIf(pgSkipReason() !== undefined)(`replicas: a frozen active replica wakes up after a takeover ${pgSkipNote()}`, () => {
  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('its commits are refused (LEASE_LOST), it steps down, and no run is advanced twice', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-split-'));
    db = await createTestDatabase();
    await writeProject(dir, 0.4, 0.1);
    for (const name of ['A', 'B', 'C']) replicas.push(await startReplica(dir, name, db.url, 1_000, { SLIPWAY_FORWARD_TIMEOUT_MS: '1500' }));
    const frozen = await activeReplica(replicas);
    const others = replicas.filter((r) => r !== frozen);

    // Releases go in through every replica in turn, a new artifact each, until told to stop.
    let feeding = true;
    let sent = 0;
    const feed = (async () => {
      for (let i = 0; feeding; i++) {
        const r = replicas[i % 3]!;
        await fetch(`${r.url}/api/v1/projects/${PROJECT}/releases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ artifacts: { web: `web:${i}` } }),
          // A request forwarded to the frozen replica waits for it: give up and go on.
          signal: AbortSignal.timeout(3_000),
        }).catch(() => undefined);
        sent++;
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    await until('some dev tasks to start', async () => ((await countLines(dir!, 'starts')).size >= 2 ? true : undefined));
    frozen.child.proc.kill('SIGSTOP');
    // Sent at once, while the standbys still name the frozen replica active (or just after they saw it go).
    const held = call<{ code?: string; message?: string }>(others[0]!.url, `/api/v1/runs?project=${PROJECT}`);
    const next = await until('a standby to take over from the frozen replica', async () => {
      for (const r of others) {
        const s = await api<ReplicaStatus>(r.url, '/api/v1/system/replicas');
        if (s.replica.role === 'active') return { r, s };
      }
      return undefined;
    }, 60_000, () => replicas.map((r) => `--- ${r.name}\n${r.child.stderr().slice(-6000)}`).join('\n'));
    expect(next.s.active!.epoch).toBeGreaterThan(1);
    // Work goes on under the new active replica while the old one sleeps.
    await until('a run finished under the new active replica', async () => ((await checkLog(db!.url)).types['sh.slipway.run.finished'] ?? 0) > 0 ? true : undefined);
    const answer = await Promise.race([held, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 15_000))]);
    expect(answer, 'a request forwarded to the frozen replica is still waiting').not.toBe('still waiting');
    if (answer !== 'still waiting') {
      process.stderr.write(`[split-brain] the request sent through a standby at the freeze: ${answer.status} ${answer.body?.code ?? ''} ${answer.body?.message ?? ''}\n`);
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.body.code).toBe('NO_ACTIVE_REPLICA');
    }
    frozen.child.proc.kill('SIGCONT');
    await until('the woken replica to step down saying LEASE_LOST', async () => (/LEASE_LOST/.test(frozen.child.stderr()) ? true : undefined), 30_000, () => frozen.child.stderr().slice(-5000));
    const after = await until('the woken replica to be a standby', async () => {
      const s = await api<ReplicaStatus>(frozen.url, '/api/v1/system/replicas');
      return s.replica.role === 'standby' ? s : undefined;
    }, 60_000, () => frozen.child.stderr().slice(-6000));
    // Another replica holds the lease: the one that took over, or (replicas on a loaded machine may
    // hand it on) the other standby.
    expect(others.map((r) => r.name)).toContain(after.active?.id);
    // Which guard stopped it first: its own deadline (timers run first on waking), or the database refusing a commit.
    const refused = (frozen.child.stderr().match(/a commit of this replica was refused/g) ?? []).length;
    process.stderr.write(`[split-brain] woken replica: ${refused} commit(s) refused by the fence; step-down: ${/LEASE_LOST: this replica stops its engine[^"]*/.exec(frozen.child.stderr())?.[0] ?? '?'}\n`);
    feeding = false;
    await feed;
    expect(sent).toBeGreaterThan(3);

    // Every release that was created runs to the end, once per stage.
    const log0 = await checkLog(db.url);
    const created = log0.types['sh.slipway.release.created'] ?? 0;
    expect(created).toBeGreaterThan(0);
    const runs = await until(
      'every run to end',
      async () => {
        const { runs } = await api<{ runs: RunRow[] }>(next.r.url, `/api/v1/runs?project=${PROJECT}&limit=500`);
        return runs.length === created * 2 && runs.every((r) => r.state === 'succeeded') ? runs : undefined;
      },
      120_000,
    );
    expect(runs).toHaveLength(created * 2);
    const log = await checkLog(db.url);
    expect(log.finishedTwice).toEqual([]);
    expect(log.runFinishedTwice).toEqual([]);
    expect(log.types['sh.slipway.run.finished']).toBe(created * 2);
    const ledger = await countLines(dir, 'ledger');
    expect([...log.passed].filter((id) => ledger.get(id) !== 1)).toEqual([]);
    expect([...ledger.keys()].filter((id) => !log.passed.has(id))).toEqual([]);
  }, 240_000);
});
