/**
 * The run state machine's one door: every run state change goes through `changeRunState`,
 * which asserts the state it comes from. The states are described in model.ts (RunStates).
 */
import type { RunFinishedData, RunStateData } from './events.js';
import { eventTypes } from './events.js';
import type { Run, RunState } from './model.js';
import type { Result } from './pipeline.js';
import type { Tx } from './tx.js';

const allowedFrom: Record<RunState, readonly RunState[]> = {
  queued: ['failed', 'aborted'], // a retry queues a failed run again
  running: ['queued', 'waiting', 'paused'],
  waiting: ['running', 'paused'],
  paused: ['running', 'waiting'],
  succeeded: ['running', 'waiting'],
  failed: ['running', 'waiting', 'paused'],
  aborted: ['queued', 'running', 'waiting', 'paused'],
};

export function canChange(run: Run, to: RunState): boolean {
  return allowedFrom[to].includes(run.state);
}

export interface ChangeOptions {
  reason?: string;
  result?: Result;
}

/** Changes a run's state by emitting the matching event. `queued` is entered by run.queued (see flow.ts). */
export function changeRunState(tx: Tx, run: Run, to: Exclude<RunState, 'queued'>, o: ChangeOptions = {}): void {
  if (!canChange(run, to)) throw new Error(`run ${run.id}: cannot go from ${run.state} to ${to}`);
  const where = { project: run.project, stage: run.stage, run };
  const by = tx.by !== undefined ? { by: tx.by } : {};
  const reason = o.reason !== undefined ? { reason: o.reason } : {};
  if (to === 'succeeded' || to === 'failed' || to === 'aborted') {
    const result = o.result ?? run.result;
    const d: RunFinishedData = {
      stage: run.stage,
      sequence: run.sequence,
      releaseId: run.releaseId,
      state: to,
      ...(result !== undefined ? { result } : {}),
      ...reason,
      ...by,
    };
    tx.emit(eventTypes.runFinished, where, d);
    return;
  }
  if (to === 'running' && run.state === 'queued') {
    tx.emit(eventTypes.runStarted, where, { stage: run.stage, releaseId: run.releaseId, step: run.step });
    return;
  }
  const type = to === 'paused' ? eventTypes.runPaused : to === 'waiting' ? eventTypes.runWaiting : eventTypes.runResumed;
  const d: RunStateData = { stage: run.stage, state: to, ...reason, ...by };
  tx.emit(type, where, d);
}
