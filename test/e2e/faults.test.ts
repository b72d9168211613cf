/**
 * Fault harness (issue 13, item 5, the embedded store): a real `slipway server` on a SQLite
 * data directory is killed with SIGKILL at seeded random moments (a quarter of them while
 * it starts and recovers) while releases go through three stages, each a shell task, and is
 * started again on the same directory until every run has ended. `npm test` runs the short
 * mode (7 releases × 3 stages, at least 3 kills); `npm run test:faults` (FAULTS=long) the long
 * one (200 releases × 3 stages, a kill every few seconds, up to 60). FAULTS_SEED replays a
 * schedule; the seed is printed.
 *
 * What "exactly once" means here. Each task runs `effect.sh`, which appends its
 * SLIPWAY_TASK_ID to `ledger` unless the ledger holds it already (under flock): the way
 * docs/executors.md tells users to act once per task id, since dispatch is at least once.
 * Every start of the command is also noted in `starts`. After the last server stopped:
 * - every run (releases × 3) succeeded, and there are no others;
 * - lost = task ids that finished with pass but are not in the ledger: must be 0;
 * - doubled = finished task ids in the ledger more than once: must be 0;
 * - stray = ledger ids that never finished with pass (an effect of a task Slipway gave up
 *   on): must be 0;
 * - startedTwice (ids whose command started more than once) is reported, not asserted:
 *   it counts the times the per-id guard was needed (a kill between starting a command and
 *   the wrapper recording its pid); Slipway adopts a command that recorded its pid;
 * - PRAGMA integrity_check is ok.
 * The figures go to stdout and to dist/test-output/faults/<mode>.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runFaults } from './faults-harness.js';

const LONG = process.env['FAULTS'] === 'long';
const mode = LONG ? 'long' : 'short';
const seed = process.env['FAULTS_SEED'] !== undefined ? Number(process.env['FAULTS_SEED']) : Math.floor(Math.random() * 2 ** 31);
const OUT = fileURLToPath(new URL('../../dist/test-output/faults/', import.meta.url));

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe(`fault harness (${mode})`, () => {
  it(
    'a server killed with SIGKILL at random moments finishes every run, and each finished task had its effect once',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'slipway-faults-'));
      console.log(`[faults ${mode}] seed ${seed} (replay: FAULTS_SEED=${seed}${LONG ? ' FAULTS=long' : ''})`);
      const figures = await runFaults({
        dir,
        seed,
        ...(LONG
          ? { releases: 200, services: 8, kills: 20, maxKills: 60, maxUpMs: 6000, deadlineMs: 40 * 60_000 }
          : { releases: 7, services: 3, kills: 3, maxKills: 3, maxUpMs: 2500, deadlineMs: 150_000 }),
        log: (line) => console.log(`[faults ${mode}] ${line}`),
      });
      const summary = `runs ${figures.runsSucceeded}/${figures.runs} succeeded, kills ${figures.kills} (${figures.killsDuringStart} during start), lost ${figures.lost}, doubled ${figures.doubled}, stray ${figures.strayEffects}, started twice ${figures.startedTwice}, integrity ${figures.integrity}, ${figures.seconds} s`;
      console.log(`[faults ${mode}] ${summary}`);
      await mkdir(OUT, { recursive: true });
      await writeFile(join(OUT, `${mode}.json`), `${JSON.stringify({ mode, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
      expect(figures.integrity).toBe('ok');
      expect(figures.kills).toBeGreaterThan(0);
      expect({ succeeded: figures.runsSucceeded, other: figures.runsNotSucceeded }).toEqual({ succeeded: figures.runs, other: 0 });
      expect({ lost: figures.lost, doubled: figures.doubled, stray: figures.strayEffects }).toEqual({ lost: 0, doubled: 0, stray: 0 });
    },
    LONG ? 45 * 60_000 : 180_000,
  );
});
