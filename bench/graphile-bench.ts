/**
 * The PostgreSQL reference queue: graphile-worker 0.17 on the same cluster, in the same
 * process, driven the way the Slipway scenario drives the engine. N chains of M jobs: the
 * first job of every chain is added at once (as the N triggers are), and each job, when it
 * runs, adds the next job of its chain (as the engine dispatches a run's next task only
 * after the previous one finished). The task itself does nothing (the `noop` kind's twin).
 * So a job added and completed stands beside a Slipway task dispatched and finished: both
 * cost durable commits for the hand-out and for the result. graphile-worker runs with its
 * defaults (no local queue, no completion batching) except `concurrency`, set to the size of
 * Slipway's connection pool (10) so neither side is held to fewer connections.
 */
import { run, makeWorkerUtils, Logger, type Task } from 'graphile-worker';
import { round } from './stats.js';

export interface GraphileResult {
  chains: number;
  jobsPerChain: number;
  concurrency: number;
  jobs: number;
  seconds: number;
  jobsPerS: number;
}

const quiet = new Logger(() => () => undefined);

export async function runGraphileChains(url: string, chains: number, jobsPerChain: number, timeoutMs: number, concurrency = 10): Promise<GraphileResult> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  await utils.migrate();
  let completed = 0;
  let finishedChains = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  const step: Task = async (payload, helpers) => {
    const { c, k } = payload as { c: number; k: number };
    if (k + 1 < jobsPerChain) await helpers.addJob('step', { c, k: k + 1 });
  };
  const runner = await run({ connectionString: url, concurrency, maxPoolSize: concurrency + 1, noHandleSignals: true, pollInterval: 1000, logger: quiet, taskList: { step } });
  const timer = setTimeout(() => resolveDone(), timeoutMs);
  runner.events.on('job:complete', ({ job, error }) => {
    if (error) return;
    completed++;
    const { k } = job.payload as { k: number };
    if (k + 1 === jobsPerChain && ++finishedChains === chains) resolveDone();
  });
  try {
    const start = performance.now();
    await Promise.all(Array.from({ length: chains }, (_, c) => utils.addJob('step', { c, k: 0 })));
    await done;
    const seconds = (performance.now() - start) / 1000;
    clearTimeout(timer);
    if (finishedChains !== chains) throw new Error(`graphile-worker finished ${finishedChains} of ${chains} chains within ${timeoutMs} ms`);
    return { chains, jobsPerChain, concurrency, jobs: completed, seconds: round(seconds, 3), jobsPerS: round(completed / seconds, 0) };
  } finally {
    clearTimeout(timer);
    await runner.stop();
    await utils.release();
  }
}
