/**
 * 05 sequence-queue shipyard (Keptn's test_sequencequeue): many releases of one service
 * triggered into `dev` `mysequence` run one at a time, in the order they were triggered.
 */
import { describe, expect, it } from 'vitest';
import { Recorder } from './support/recording-executor.js';
import { SHIPYARD, shipyard, slipwayHarness, trigger } from './support/slipway.js';
import { timeline } from './support/timeline.js';
import { waitForQuiet, waitForRunFinished } from './support/wait.js';

const harness = slipwayHarness();
const PROJECT = 'shipyard-echo-service';
const RELEASES = 10;

describe('05 sequence queue shipyard through the engine', () => {
  it('10 releases of one service triggered into dev/mysequence start in FIFO order, one at a time, and all succeed', async () => {
    let open!: () => void;
    const firstHeld = new Promise<void>((resolve) => (open = resolve));
    // The first task of the first release is held until the queue has been inspected; every task takes a few ms.
    const recorder = new Recorder({ delayMs: 3, gate: (e) => (e.nth === 1 && e.task === 'task1' ? firstHeld : undefined) });
    const { sw } = await harness.open({ executors: recorder.executors() });
    await sw.addPipelineFile(shipyard(SHIPYARD.queue));

    const triggered = await Promise.all(
      Array.from({ length: RELEASES }, (_, i) => trigger(sw, { project: PROJECT, stage: 'dev', sequence: 'mysequence', artifacts: { echo: `keptnsandbox/echo-service:0.1.${i}` } })),
    );
    const order = triggered.map((t) => t.runId);
    expect(new Set(triggered.map((t) => t.releaseId)).size).toBe(RELEASES);

    // While the first release runs, the other nine wait in the queue.
    const states = new Map((await sw.store.listRuns({ project: PROJECT })).map((r) => [r.id, r.state]));
    expect(order.map((id) => states.get(id))).toEqual(['running', ...Array<string>(RELEASES - 1).fill('queued')]);

    const last = waitForRunFinished(sw, { runId: order[RELEASES - 1]! }, 30_000);
    open();
    await last;
    await waitForQuiet(sw);

    // From the log: queued in trigger order, then started strictly one after the other finished.
    const log = await timeline(sw.store);
    const runEvents = (what: string) => log.filter((l) => l.what === what).map((l) => l.runId);
    expect(runEvents('run.queued')).toEqual(order);
    expect(runEvents('run.started')).toEqual(order);
    const startsAndEnds = log.filter((l) => l.what === 'run.started' || l.what === 'run.finished').map((l) => `${l.what} ${l.runId}`);
    expect(startsAndEnds).toEqual(order.flatMap((id) => [`run.started ${id}`, `run.finished ${id}`]));

    // From the executors: each run's tasks in order, and no task of one run overlapping another run's.
    expect(recorder.maxInFlight).toBe(1);
    const byRun = order.map((id) => recorder.executions.filter((e) => e.runId === id));
    for (const execs of byRun) expect(execs.map((e) => e.task)).toEqual(['task1', 'task2', 'task3']);
    for (let i = 1; i < byRun.length; i++) {
      const previousEnd = Math.max(...byRun[i - 1]!.map((e) => e.endedTick ?? Infinity));
      const nextBegin = Math.min(...byRun[i]!.map((e) => e.beganTick));
      expect(previousEnd, `run ${i} began before run ${i - 1} ended`).toBeLessThan(nextBegin);
    }

    const runs = await sw.store.listRuns({ project: PROJECT });
    expect(runs).toHaveLength(RELEASES);
    expect(runs.every((r) => r.stage === 'dev' && r.sequence === 'mysequence' && r.state === 'succeeded' && r.result === 'pass')).toBe(true);
  });
});
