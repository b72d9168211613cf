/**
 * Dispatch latency measured open loop: runs arrive on a fixed schedule, whatever the engine
 * is doing, at the rate that keeps `concurrency` runs in flight (Little's law: rate = runs in
 * flight ÷ a run's mean duration, M tasks of 0.5–1.5 × taskMs each, mean taskMs). A closed
 * loop (every run triggered at once, bench/scenario.ts) lets a slow engine slow the arrivals
 * down and starts with a burst of N triggers; here neither happens, so the figure is the
 * latency a steady load sees. Latencies count only after the ramp (one run's mean duration),
 * while arrivals go on; then arrivals stop, the tasks still sleeping end at once, and every run
 * must finish and succeed.
 */
import { openSlipway } from '../src/main.js';
import { PROJECT, benchPipeline } from './pipeline.js';
import { Hurry, previousTask, timedNoop } from './scenario.js';
import { percentile, round } from './stats.js';

export interface OpenLoopPlan {
  concurrency: number;
  m: number;
  taskMs: number;
  /** Seconds measured after the ramp. */
  measureS: number;
}

export interface OpenLoopResult {
  plan: OpenLoopPlan;
  runsPerS: number;
  runs: number;
  runsSucceeded: number;
  /** Runs in flight, sampled every 100 ms while measuring. */
  meanInFlight: number;
  dispatchSamples: number;
  dispatchP50Ms: number;
  dispatchP99Ms: number;
  dispatchMaxMs: number;
  /** Engine batches committed while measuring, their mean inputs and mean wall time (load, decide, commit, hand-off). */
  batches: number;
  meanInputsPerBatch: number;
  meanBatchMs: number;
  /** The engine's event loop while measuring (a timer's lateness, p99), to tell a slow engine from a busy machine. */
  loopDelayP99Ms: number;
}

export async function runOpenLoop(plan: OpenLoopPlan, dataDir: string): Promise<OpenLoopResult> {
  const { concurrency, m, taskMs } = plan;
  const runMs = m * taskMs;
  const rate = concurrency / (runMs / 1000);
  const finishedAt = new Map<string, number>();
  const hurry = new Hurry();
  const slipway = await openSlipway({ dataDir, executors: [timedNoop(finishedAt, taskMs, hurry)] });
  const { engine } = slipway;
  // Twice as many services as runs in flight: a service's next release arrives after its last run ended.
  const services = 2 * concurrency;
  try {
    const { pipeline, text } = benchPipeline(services, m);
    await engine.setPipeline(pipeline, { text, origin: 'bench', dir: dataDir });
    const latencies: number[] = [];
    let measuring = false;
    let inFlight = 0;
    let batches = 0;
    let inputs = 0;
    let batchMs = 0;
    engine.emitter.on('committed', (c) => {
      if (!measuring) return;
      batches++;
      inputs += c.inputs;
      batchMs += c.ms;
    });
    let succeeded = 0;
    engine.emitter.on('task:dispatched', ({ taskId }) => {
      const at = performance.now();
      const prev = previousTask(taskId);
      if (prev === undefined) return;
      const done = finishedAt.get(prev);
      finishedAt.delete(prev);
      if (done !== undefined && measuring) latencies.push(at - done);
    });
    let onIdle: () => void = () => undefined;
    engine.emitter.on('run:finished', (run) => {
      inFlight--;
      if (run.state === 'succeeded') succeeded++;
      if (inFlight === 0) onIdle();
    });
    const start = performance.now();
    const rampEnd = start + runMs;
    const stopAt = rampEnd + plan.measureS * 1000;
    let sent = 0;
    const samples: number[] = [];
    const delays: number[] = [];
    const triggers: Promise<unknown>[] = [];
    await new Promise<void>((resolve) => {
      // Arrivals are due by the clock: a late tick sends every arrival that fell due meanwhile.
      const tick = (expected: number) => {
        const now = performance.now();
        if (measuring) delays.push(now - expected);
        measuring = now >= rampEnd && now < stopAt;
        if (measuring) samples.push(inFlight);
        const due = Math.min(Math.floor(((Math.min(now, stopAt) - start) / 1000) * rate), Number.MAX_SAFE_INTEGER);
        for (; sent < due; sent++) {
          inFlight++;
          const svc = `s${sent % services}`;
          triggers.push(engine.apply({ type: 'trigger', id: `open-${sent}`, project: PROJECT, artifacts: { [svc]: `bench/${svc}:${sent}` }, provenance: { source: 'bench' } }));
        }
        if (now >= stopAt) return resolve();
        setTimeout(() => tick(now + 10), 10);
      };
      tick(start);
    });
    measuring = false;
    // Nothing is measured from here on: the tasks still sleeping end now, and the runs left finish
    // as fast as the engine takes them (each must still succeed).
    hurry.now();
    await Promise.all(triggers);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`open loop: ${inFlight} runs still open ${2 * runMs} ms after the last arrival`)), 2 * runMs + 30_000);
      onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
      if (inFlight === 0) onIdle();
    });
    latencies.sort((a, b) => a - b);
    return {
      plan,
      runsPerS: round(rate, 1),
      runs: sent,
      runsSucceeded: succeeded,
      meanInFlight: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length), 0),
      dispatchSamples: latencies.length,
      dispatchP50Ms: round(percentile(latencies, 50, true), 3),
      dispatchP99Ms: round(percentile(latencies, 99, true), 3),
      dispatchMaxMs: round(latencies.at(-1) ?? Number.NaN, 3),
      batches,
      meanInputsPerBatch: round(inputs / Math.max(1, batches), 1),
      meanBatchMs: round(batchMs / Math.max(1, batches), 2),
      loopDelayP99Ms: round(percentile(delays, 99), 3),
    };
  } finally {
    await slipway.close();
  }
}
