/**
 * Waiting on the engine: every helper listens to the engine's emitter and gives up after a
 * timeout. None sleeps. Create the wait before the action that causes what it waits for.
 */
import type { Run, SlipwayEvent } from '../../../src/core/index.js';
import { eventTypes } from '../../../src/core/index.js';
import type { Slipway } from '../../../src/main.js';

const DEFAULT_TIMEOUT_MS = 10_000;

type Listen<T> = (handler: (value: T) => void) => () => void;

/** Resolves with the first value `listen` reports that `match` accepts (or that `initial` already gives). */
function waitOn<T>(what: string, listen: Listen<T>, match: (v: T) => boolean, timeoutMs: number, initial?: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const stop = listen((v) => {
      let ok: boolean;
      try {
        ok = match(v);
      } catch (e) {
        clearTimeout(timer);
        stop();
        reject(e as Error);
        return;
      }
      if (!ok) return;
      clearTimeout(timer);
      stop();
      resolve(v);
    });
    const already = initial?.();
    if (already !== undefined) {
      clearTimeout(timer);
      stop();
      resolve(already);
    }
  });
}

/** The first committed event `match` accepts. */
export function waitForEvent(sw: Slipway, what: string, match: (ev: SlipwayEvent) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SlipwayEvent> {
  const listen: Listen<SlipwayEvent> = (h) => {
    sw.engine.emitter.on('event', h);
    return () => sw.engine.emitter.off('event', h);
  };
  return waitOn(what, listen, match, timeoutMs);
}

export interface RunMatch {
  stage?: string;
  sequence?: string;
  releaseId?: string;
  runId?: string;
}

const matches = (r: Run, m: RunMatch): boolean =>
  (m.stage === undefined || r.stage === m.stage) &&
  (m.sequence === undefined || r.sequence === m.sequence) &&
  (m.releaseId === undefined || r.releaseId === m.releaseId) &&
  (m.runId === undefined || r.id === m.runId);

const describeRun = (m: RunMatch): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');

/** The next run matching `m` to finish (succeeded, failed or aborted). */
export function waitForRunFinished(sw: Slipway, m: RunMatch, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Run> {
  const listen: Listen<Run> = (h) => {
    sw.engine.emitter.on('run:finished', h);
    return () => sw.engine.emitter.off('run:finished', h);
  };
  return waitOn(`a run to finish (${describeRun(m)})`, listen, (r) => matches(r, m), timeoutMs).then((r) => structuredClone(r));
}

/** The id of the next task named `task` (in `stage`) to wait for a person or a signal. */
export async function waitForTaskWaiting(sw: Slipway, stage: string, task: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  const type = eventTypes.task(task, 'waiting');
  const ev = await waitForEvent(sw, `task '${task}' in stage '${stage}' to wait`, (e) => e.type === type && (e.data as { stage?: string }).stage === stage, timeoutMs);
  if (ev.taskid === undefined) throw new Error(`${type} event ${ev.id} names no task`);
  return ev.taskid;
}

/**
 * Resolves once nothing is left to do until someone acts: every run in memory is waiting
 * (or none is left) and no input or executor is in flight. Checked now and after each commit.
 */
export function waitForQuiet(sw: Slipway, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const quiet = (): boolean => sw.engine.inflight === 0 && [...sw.engine.view.runs.values()].every((r) => r.state === 'waiting');
  const listen: Listen<unknown> = (h) => {
    sw.engine.emitter.on('committed', h);
    return () => sw.engine.emitter.off('committed', h);
  };
  return waitOn('the engine to go quiet', listen, quiet, timeoutMs, () => (quiet() ? true : undefined)).then(() => undefined);
}
