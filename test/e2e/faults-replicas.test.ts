/**
 * Fault harness on PostgreSQL (issue 13, item 5): three `slipway server` replicas on one
 * database (docs/operating.md, Replicas) while releases go through three stages, each a shell
 * task, and are sent to random replicas (a standby forwards to the active one). At seeded
 * random moments a replica is killed with SIGKILL: mostly the active one (the one that
 * GET /api/v1/system/replicas names, holding the engine lease), sometimes a standby, and
 * sometimes a replica while it starts again. A killed replica is started again under the same
 * --replica-id after a random pause. The long mode runs a second phase on two replicas (one
 * killed for good halfway) where a kill leaves one.
 *
 * `npm test` runs the short mode (5 releases × 3 stages, 3 kills, 2 of them of the active
 * replica, --lease-ms 1500); `npm run test:faults` (FAULTS=long) the long one (200 releases ×
 * 3 stages, 20 to 40 kills). FAULTS_SEED replays a schedule (the seed is printed);
 * FAULTS_RELEASES sets the number of releases of either mode.
 *
 * Until every run ended, then, with the same definitions as faults.test.ts: every run
 * (releases × 3) succeeded and there are no others; lost, doubled and stray are 0;
 * startedTwice is reported, not asserted. Also, from the event log in PostgreSQL: no task
 * attempt finished twice and no run finished twice (no run was advanced by two replicas).
 * Takeovers (new holdings of the lease) and failover times (a kill of the active replica
 * until a live one says it is active under a newer epoch) are reported. The figures go to
 * stdout and to dist/test-output/faults/replicas-<mode>.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { runReplicaFaults } from './faults-replicas-harness.js';

const LONG = process.env['FAULTS'] === 'long';
const mode = LONG ? 'long' : 'short';
const seed = process.env['FAULTS_SEED'] !== undefined ? Number(process.env['FAULTS_SEED']) : Math.floor(Math.random() * 2 ** 31);
const releases = Number(process.env['FAULTS_RELEASES'] ?? '') || (LONG ? 200 : 5);
const OUT = fileURLToPath(new URL('../../dist/test-output/faults/', import.meta.url));

let dir: string | undefined;
let db: TestDatabase | undefined;
let passed = false;
afterAll(async () => {
  await db?.drop();
  // A failed run keeps its directory: logs/<replica>.log hold each replica's whole stderr, beside the ledger.
  if (dir && passed) await rm(dir, { recursive: true, force: true });
  else if (dir) console.log(`[faults replicas ${mode}] kept ${dir} (logs/, ledger, starts)`);
});

describe.skipIf(pgSkipReason() !== undefined)(`fault harness on PostgreSQL replicas (${mode}) ${pgSkipNote()}`, () => {
  it(
    'replicas killed with SIGKILL at random moments (mostly the active one) finish every run, and each finished task had its effect once',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'slipway-faults-replicas-'));
      db = await createTestDatabase();
      console.log(`[faults replicas ${mode}] seed ${seed} (replay: FAULTS_SEED=${seed}${LONG ? ' FAULTS=long' : ''}), ${releases} releases`);
      const figures = await runReplicaFaults({
        dir,
        store: db.url,
        seed,
        releases,
        leaseMs: 1500,
        activeShare: 0.7,
        earlyShare: 0.15,
        ...(LONG
          ? { services: 8, kills: 20, maxKills: 40, activeKills: 12, twoFrom: 10, maxUpMs: 6000, maxPauseMs: 4000, deadlineMs: 40 * 60_000 }
          : { services: 3, kills: 3, maxKills: 3, activeKills: 2, maxUpMs: 2500, maxPauseMs: 2500, deadlineMs: 100_000 }),
        log: (line) => console.log(`[faults replicas ${mode}] ${line}`),
      });
      const f = figures;
      const summary = `runs ${f.runsSucceeded}/${f.runs} succeeded, kills ${f.kills} (${f.activeKills} of the active replica, ${f.killsDuringStart} during start), takeovers ${f.takeovers} (failover median ${f.failoverMs.median} ms, max ${f.failoverMs.max} ms), lost ${f.lost}, doubled ${f.doubled}, stray ${f.strayEffects}, started twice ${f.startedTwice}, finished twice ${f.finishedTwice}, ${f.replicasLastPhase} replicas in the last phase, ${f.seconds} s`;
      console.log(`[faults replicas ${mode}] ${summary}`);
      await mkdir(OUT, { recursive: true });
      await writeFile(join(OUT, `replicas-${mode}.json`), `${JSON.stringify({ mode, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
      expect(f.activeKills).toBeGreaterThan(0);
      // The long mode's second phase ran on two replicas.
      if (LONG) expect(f.replicasLastPhase).toBe(2);
      expect(f.takeovers).toBeGreaterThanOrEqual(f.activeKills);
      expect({ succeeded: f.runsSucceeded, other: f.runsNotSucceeded }).toEqual({ succeeded: f.runs, other: 0 });
      expect({ lost: f.lost, doubled: f.doubled, stray: f.strayEffects }).toEqual({ lost: 0, doubled: 0, stray: 0 });
      expect({ finishedTwice: f.finishedTwice, runFinishedTwice: f.runFinishedTwice }).toEqual({ finishedTwice: 0, runFinishedTwice: 0 });
      // FAULTS_KEEP=1 keeps the directory of a run that passed too.
      passed = process.env['FAULTS_KEEP'] === undefined;
    },
    LONG ? 45 * 60_000 : 150_000,
  );
});
