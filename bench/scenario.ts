/**
 * One scenario: N concurrent runs of M noop tasks on a file-backed SQLite store, through
 * the real composition root (`openSlipway`). The built-in noop executor is wrapped to
 * stamp when each task's execute() returns, so the time until the engine dispatches the
 * run's next task can be measured. With `taskMs` > 0 each task first sleeps 0.5–1.5 ×
 * taskMs (fixed per task id), so runs are concurrent without saturating the engine.
 */
import { parseTaskId } from '../src/core/index.js';
import type { Executor } from '../src/engine/index.js';
import { createNoopExecutor } from '../src/executors/index.js';
import { openSlipway } from '../src/main.js';
import { PROJECT, benchPipeline } from './pipeline.js';
import { percentile, round } from './stats.js';

export interface ScenarioResult {
  n: number;
  m: number;
  taskMs: number;
  seconds: number;
  /** Committed events (transitions) during the scenario. */
  transitions: number;
  transitionsPerS: number;
  batches: number;
  inputs: number;
  meanInputsPerBatch: number;
  maxInputsPerBatch: number;
  /** Mean wall time of a batch as the engine reports it: load, decide, commit, hand-off. */
  meanBatchMs: number;
  dispatchSamples: number;
  dispatchP50Ms: number;
  dispatchP99Ms: number;
  dispatchMaxMs: number;
  runsSucceeded: number;
}

/** A stable spread in [0.5, 1.5) from the task id, so runs drift apart instead of moving in lockstep. */
export function spread(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return 0.5 + (h >>> 0) / 2 ** 32;
}

/**
 * Task sleeps that can be cut short: once `now()` is called, every sleeping task ends at once
 * and later ones do not sleep (the open loop's drain after its measured window, which otherwise
 * waited up to 1.5 s × M for the last runs' tasks, none of it measured).
 */
export class Hurry {
  private on = false;
  private readonly waiting = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    if (this.on) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  now(): void {
    this.on = true;
    for (const done of [...this.waiting]) done();
  }
}

export function timedNoop(finishedAt: Map<string, number>, taskMs: number, hurry?: Hurry): Executor {
  const base = createNoopExecutor();
  return {
    ...base,
    async execute(ctx) {
      const ms = taskMs * spread(ctx.task.id);
      if (taskMs > 0) await (hurry ? hurry.sleep(ms) : new Promise((r) => setTimeout(r, ms)));
      const outcome = await base.execute(ctx);
      finishedAt.set(ctx.task.id, performance.now());
      return outcome;
    },
  };
}

/** `store`: a `postgres://…` URL (default: the SQLite file in dataDir). */
export async function runScenario(n: number, m: number, taskMs: number, dataDir: string, timeoutMs: number, store?: string): Promise<ScenarioResult> {
  const finishedAt = new Map<string, number>();
  const slipway = await openSlipway({ dataDir, executors: [timedNoop(finishedAt, taskMs)], ...(store !== undefined ? { store } : {}) });
  const { engine } = slipway;
  try {
    const { pipeline, text } = benchPipeline(n, m);
    await engine.setPipeline(pipeline, { text, origin: 'bench', dir: dataDir });

    const latencies: number[] = [];
    let transitions = 0;
    let batches = 0;
    let inputs = 0;
    let maxInputs = 0;
    let batchMs = 0;
    engine.emitter.on('event', () => transitions++);
    engine.emitter.on('committed', (c) => {
      batches++;
      inputs += c.inputs;
      maxInputs = Math.max(maxInputs, c.inputs);
      batchMs += c.ms;
    });
    engine.emitter.on('task:dispatched', ({ taskId }) => {
      const at = performance.now();
      const prev = previousTask(taskId);
      if (prev === undefined) return;
      const done = finishedAt.get(prev);
      if (done === undefined) return;
      finishedAt.delete(prev);
      latencies.push(at - done);
    });

    let succeeded = 0;
    let finished = 0;
    let end = 0;
    const allDone = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${finished} of ${n} runs finished within ${timeoutMs} ms`)), timeoutMs);
      engine.emitter.on('store:error', (e) => reject(e));
      engine.emitter.on('run:finished', (run) => {
        finished++;
        if (run.state === 'succeeded') succeeded++;
        if (finished === n) {
          end = performance.now();
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const start = performance.now();
    const triggers = Array.from({ length: n }, (_, i) =>
      engine.apply({ type: 'trigger', id: `bench-trigger-${i}`, project: PROJECT, artifacts: { [`s${i}`]: `bench/s${i}:1` }, provenance: { source: 'bench' } }),
    );
    await Promise.all([...triggers, allDone]);
    const seconds = (end - start) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      n,
      m,
      taskMs,
      seconds: round(seconds, 3),
      transitions,
      transitionsPerS: round(transitions / seconds, 0),
      batches,
      inputs,
      meanInputsPerBatch: round(inputs / batches, 1),
      maxInputsPerBatch: maxInputs,
      meanBatchMs: round(batchMs / batches, 2),
      dispatchSamples: latencies.length,
      dispatchP50Ms: round(percentile(latencies, 50, true), 3),
      dispatchP99Ms: round(percentile(latencies, 99, true), 3),
      dispatchMaxMs: round(latencies.at(-1) ?? Number.NaN, 3),
      runsSucceeded: succeeded,
    };
  } finally {
    await slipway.close();
  }
}

/** The id of the task before `taskId` in its run (tasks `t0`, `t1`, … of attempt 1), or undefined for the first. */
export function previousTask(taskId: string): string | undefined {
  const t = parseTaskId(taskId);
  const k = t ? Number(t.task.slice(1)) : 0;
  return t && k > 0 ? `${t.runId}.t${k - 1}.1` : undefined;
}
