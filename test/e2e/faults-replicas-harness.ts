/**
 * The fault harness on PostgreSQL: three `slipway server` replicas on one database, releases
 * sent to random replicas, and SIGKILLs at seeded random moments, mostly of the active replica
 * (the one holding the engine lease), sometimes of a standby or of a replica still starting.
 * A killed replica is started again, under the same id, after a random pause; in the second
 * phase (from `twoFrom` kills on) one replica is gone for good and two remain. What it
 * measures is in faults-replicas.test.ts's header; this file drives the processes and counts.
 */
import pg from 'pg';
import { releaseIdOf } from '../../src/core/index.js';
import { sha256 } from '../../src/engine/index.js';
import { openPostgresStore } from '../../src/store/index.js';
import { ADMIN, PROJECT, STAGES, effectFigures, seeded, writeFaultsProject, type EffectFigures } from './faults-harness.js';
import { Fleet, type Member } from './faults-replicas-fleet.js';
import { checkLog } from './replicas-cluster.js';

export interface ReplicaFaultOptions {
  dir: string;
  /** The PostgreSQL database every replica uses. */
  store: string;
  seed: number;
  releases: number;
  services: number;
  /** Kills to make at least, and at most (after them the replicas are left to finish). */
  kills: number;
  maxKills: number;
  /** Of the kills, how many at least hit the active replica. */
  activeKills: number;
  /** The share of the other kills that hit the active replica (the rest: a standby). */
  activeShare: number;
  /** The share of restarts killed again while they start (before or as they listen). */
  earlyShare: number;
  /** From this many kills on, the next killed replica stays down: two replicas remain. */
  twoFrom?: number;
  /** Between kills: 300 ms up to this. */
  maxUpMs: number;
  /** A killed replica is started again after 100 ms up to this. */
  maxPauseMs: number;
  leaseMs: number;
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface ReplicaFaultFigures extends EffectFigures {
  seed: number;
  releases: number;
  runs: number;
  kills: number;
  /** Kills of the replica that held the engine lease. */
  activeKills: number;
  /** Kills of a replica before it listened (while it started). */
  killsDuringStart: number;
  /** New holdings of the engine lease after the first (a standby, or the killed replica restarted). */
  takeovers: number;
  /**
   * From a kill of the active replica until a live replica says it is active under a newer
   * epoch (the lease's expiry plus the new holder's engine start); failovers cut into by
   * another kill of the active replica are left out.
   */
  failoverMs: { count: number; median: number; max: number };
  /** Task attempts with two `.finished` events, and runs with two `run.finished`, in the event log. */
  finishedTwice: number;
  runFinishedTwice: number;
  /** Replicas in the last phase: 3, or 2 once one was killed for good. */
  replicasLastPhase: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, deadlineMs: number, check: () => Promise<T | undefined>, context: () => string): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

export async function runReplicaFaults(o: ReplicaFaultOptions): Promise<ReplicaFaultFigures> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const rng = seeded(o.seed);
  const pick = seeded(o.seed ^ 0x5eed);
  await writeFaultsProject(o.dir, o.services, 'pipeline.yaml');
  const fleet = new Fleet(o.dir, o.store, o.leaseMs, ['A', 'B', 'C']);
  const db = new pg.Client({ connectionString: o.store });
  await db.connect();
  const context = () => `seed ${o.seed}; replicas' stderr:\n${fleet.stderr()}`;
  let stopping = false;
  let failure: Error | undefined;
  const fail = (e: unknown) => void (failure ??= e instanceof Error ? e : new Error(String(e)));
  try {
    await Promise.all(fleet.members.map((m) => fleet.start(m)));

    let next = 0;
    const artifactsOf = (i: number) => ({ [`s${i % o.services}`]: `s${i % o.services}:${i}` });
    /** Release i, through a random running replica, once: a retry first asks whether the last try got through. */
    async function post(i: number): Promise<void> {
      const artifacts = artifactsOf(i);
      const id = releaseIdOf(PROJECT, artifacts, sha256);
      let tried = false;
      while (!stopping) {
        const live = fleet.running();
        const at = live[Math.floor(pick() * live.length)]?.url;
        if (at !== undefined) {
          try {
            const get = async () => (await fetch(`${at}/api/v1/projects/${PROJECT}/releases/${id}`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(15_000) })).status;
            if (tried) {
              // Sent again only when the release is surely not there: a POST of an existing release triggers
              // it again (a second run per stage), and a standby answers 503 while no replica is active.
              const status = await get();
              if (status === 200) return;
              if (status !== 404) throw new Error(`GET ${status}`);
            }
            tried = true;
            const r = await fetch(`${at}/api/v1/projects/${PROJECT}/releases`, {
              method: 'POST',
              headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
              body: JSON.stringify({ artifacts }),
              signal: AbortSignal.timeout(15_000),
            });
            if (r.status === 201) return;
            // 503 NO_ACTIVE_REPLICA is expected between a kill and the takeover; anything else is worth a line.
            const text = await r.text();
            if (r.status !== 503) log(`release ${i}: ${r.status} ${text.slice(0, 300)}`);
          } catch {
            // The replica (or the active one behind it) died under the request, or could not say; ask again.
          }
        }
        await sleep(100);
      }
    }
    const posters = Array.from({ length: 4 }, async () => {
      while (next < o.releases) await post(next++);
    });

    let kills = 0;
    /** Kills a revival has decided on and not yet made (it kills while the replica starts). */
    let reserved = 0;
    const spent = () => kills + reserved;
    let activeKills = 0;
    let killsDuringStart = 0;
    const failovers: number[] = [];
    const takeovers: Promise<void>[] = [];
    const revivals: Promise<void>[] = [];

    /** Starts a killed member again after a pause; sometimes kills it again while it starts. */
    async function revive(m: Member): Promise<void> {
      while (!stopping) {
        await sleep(100 + rng() * (o.maxPauseMs - 100));
        if (stopping) return;
        // Only with kills to spare beyond the kills of the active replica still owed.
        const early = spent() + Math.max(0, o.activeKills - activeKills) < o.maxKills && rng() < o.earlyShare;
        if (early) reserved++;
        const listened = await fleet.start(m, early ? rng() * 1500 : undefined);
        if (!early) return;
        if (listened) await fleet.kill(m);
        kills++;
        reserved--;
        if (!listened) killsDuringStart++;
        log(`kill ${kills}: ${m.name} while it started${listened ? ' (it had just listened)' : ''}`);
      }
    }

    /** Waits until a live replica says it is active under an epoch newer than `epoch`. */
    async function takeover(epoch: number, killedAt: number): Promise<void> {
      const seq = activeKills;
      const s = await until(`a takeover after epoch ${epoch}`, o.leaseMs + 90_000, async () => {
        for (const m of fleet.running()) {
          const st = await fleet.status(m);
          if (st?.replica.role === 'active' && (st.active?.epoch ?? 0) > epoch) return st;
        }
        return undefined;
      }, context);
      // A failover that another kill of the active replica cut into is not one failover's time.
      const clean = activeKills === seq;
      if (clean) failovers.push(Date.now() - killedAt);
      log(`  ${s.replica.id} active under epoch ${s.active!.epoch} after ${Date.now() - killedAt} ms${clean ? '' : ' (another active replica was killed meanwhile)'}`);
    }

    /** How many ship runs succeeded; throws when a run failed or was aborted. */
    async function progress(): Promise<number> {
      const r = await db.query<{ stage: string; state: string; n: number }>('select stage, state, count(*)::int as n from runs where project = $1 group by stage, state', [PROJECT]);
      const bad = r.rows.filter((x) => x.state === 'failed' || x.state === 'aborted');
      if (bad.length > 0) throw new Error(`runs ended badly: ${JSON.stringify(bad)}\n${context()}`);
      // More runs of a stage than releases: a trigger applied twice (the wait for `releases` would never end).
      for (const stage of STAGES) {
        const n = r.rows.filter((x) => x.stage === stage).reduce((a, x) => a + x.n, 0);
        if (n > o.releases) throw new Error(`${n} runs of stage ${stage} for ${o.releases} releases: a trigger was applied twice\n${context()}`);
      }
      return r.rows.find((x) => x.stage === STAGES[2] && x.state === 'succeeded')?.n ?? 0;
    }
    const done = async () => (await progress()) === o.releases && next >= o.releases && kills >= o.kills && activeKills >= o.activeKills;

    let finished = false;
    while (!finished) {
      if (failure) throw failure;
      if (Date.now() - started > o.deadlineMs) throw new Error(`not finished after ${o.deadlineMs} ms (${kills} kills, ${await progress()} of ${o.releases} releases shipped)\n${context()}`);
      const nextKillAt = Date.now() + 300 + rng() * (o.maxUpMs - 300);
      while (!finished && (spent() >= o.maxKills || Date.now() < nextKillAt)) {
        await sleep(200);
        finished = await done();
        if (failure) throw failure;
        if (Date.now() - started > o.deadlineMs) break;
      }
      if (finished || spent() >= o.maxKills) continue;
      // A kill leaves one replica at least.
      if (fleet.running().length < 2) continue;
      const active = await until('a replica that says it is active', o.leaseMs + 90_000, async () => {
        for (const m of fleet.running()) {
          const st = await fleet.status(m);
          if (st?.replica.role === 'active') return { m, epoch: st.active!.epoch };
        }
        return undefined;
      }, context);
      // Decided after that wait, on the counts as they are now: a revival may have killed (or
      // decided to kill) meanwhile. Decided before it, a revival's kill could take the last one
      // owed to the active replica, and the run never finished (CI under load: 3 kills, 1 active).
      if (spent() >= o.maxKills || fleet.running().length < 2) continue;
      const wantActive = activeKills + (o.maxKills - spent()) <= o.activeKills || spent() - activeKills >= o.maxKills - o.activeKills || rng() < o.activeShare;
      const standbys = fleet.running().filter((m) => m !== active.m);
      const victim = wantActive || standbys.length === 0 ? active.m : standbys[Math.floor(rng() * standbys.length)]!;
      const killedAt = Date.now();
      await fleet.kill(victim);
      kills++;
      if (victim === active.m) activeKills++;
      const retire = o.twoFrom !== undefined && kills > o.twoFrom && !fleet.members.some((m) => m.retired);
      if (retire) victim.retired = true;
      log(`kill ${kills}: ${victim.name} (${victim === active.m ? `active, epoch ${active.epoch}` : 'standby'})${retire ? ', for good: two replicas from now on' : ''}`);
      if (victim === active.m) takeovers.push(takeover(active.epoch, killedAt).catch(fail));
      if (!retire) revivals.push(revive(victim).catch(fail));
    }
    // Takeovers still awaited (a kill after the work ended) come first; then nothing restarts any more.
    await Promise.all(takeovers);
    if (failure) throw failure;
    const lease = await db.query<{ epoch: string }>(`select epoch from leases where name = 'engine'`);
    stopping = true;
    await Promise.all(revivals);
    if (failure) throw failure;
    await fleet.stopAll();
    await Promise.all(posters);

    const store = await openPostgresStore({ url: o.store, migrate: false });
    const runs = await store.listRuns({ project: PROJECT, limit: 100_000 });
    await store.close();
    const events = await checkLog(o.store);
    const sorted = [...failovers].sort((a, b) => a - b);
    return {
      seed: o.seed,
      releases: o.releases,
      runs: o.releases * STAGES.length,
      ...(await effectFigures(o.dir, runs)),
      kills,
      activeKills,
      killsDuringStart,
      takeovers: Number(lease.rows[0]?.epoch ?? 1) - 1,
      failoverMs: { count: sorted.length, median: sorted[(sorted.length - 1) >> 1] ?? 0, max: sorted[sorted.length - 1] ?? 0 },
      finishedTwice: events.finishedTwice.length,
      runFinishedTwice: events.runFinishedTwice.length,
      replicasLastPhase: fleet.members.filter((m) => !m.retired).length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    stopping = true;
    await fleet.stopAll().catch(() => undefined);
    await fleet.saveLogs().catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}
