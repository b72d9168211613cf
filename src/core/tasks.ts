/**
 * Task transitions inside a run: trigger (dispatch + timeout timer), schedule (delay or
 * retry timer), skip, wait, finish. Each emits its event and the effects that go with it.
 */
import type { TimerPurpose } from './inputs.js';
import type { TaskEventData } from './events.js';
import { eventTypes } from './events.js';
import type { Run, TaskClaim, TaskRun } from './model.js';
import { taskId } from './model.js';
import type { Result, TaskSpec } from './pipeline.js';
import type { Tx } from './tx.js';

export const ACTIVE_TASK_STATES: ReadonlySet<string> = new Set(['scheduled', 'triggered', 'started', 'waiting']);

export function specOf(run: Run, name: string): TaskSpec {
  for (const step of run.spec.steps) for (const t of step.tasks) if (t.name === name) return t;
  throw new Error(`run ${run.id} has no task spec '${name}'`);
}

export function timerId(id: string, purpose: TimerPurpose): string {
  return `${id}:${purpose.slice(5)}`;
}

/** True when a task failed and its failure stops the run (no continueOnFailure). */
export function failing(run: Run): boolean {
  return run.tasks.some((t) => t.state === 'finished' && t.result === 'fail' && !specOf(run, t.name).continueOnFailure);
}

export function conditionHolds(run: Run, spec: TaskSpec): boolean {
  const c = spec.if;
  switch (c.kind) {
    case 'always':
      return true;
    case 'success':
      return !failing(run);
    case 'failure':
      return failing(run);
    case 'result': {
      const r = run.tasks.find((t) => t.name === c.task)?.result;
      const hit = r !== undefined && c.results.includes(r);
      return c.negate ? !hit && r !== undefined : hit;
    }
  }
}

function data(tx: Tx, run: Run, task: TaskRun, extra: Partial<TaskEventData>): TaskEventData {
  return {
    stage: run.stage,
    sequence: run.sequence,
    releaseId: run.releaseId,
    task: task.name,
    kind: task.kind,
    attempt: task.attempt,
    state: task.state,
    ...(tx.by !== undefined ? { by: tx.by } : {}),
    ...extra,
  };
}

function where(run: Run, task: TaskRun, id = taskId(run.id, task.name, task.attempt)) {
  const w = { project: run.project, stage: run.stage, run, taskId: id };
  return task.triggerEventId ? { ...w, triggeredId: task.triggerEventId } : w;
}

export function triggerTask(tx: Tx, run: Run, task: TaskRun, attempt: number): void {
  const spec = specOf(run, task.name);
  const id = taskId(run.id, task.name, attempt);
  const timeout = spec.timeoutMs ?? tx.ctx.defaultTimeoutMs(spec.kind, spec.properties);
  const deadline = tx.now + timeout;
  const release = tx.state.releases.get(run.releaseId)?.release;
  tx.emit(eventTypes.task(task.name, 'triggered'), { project: run.project, stage: run.stage, run, taskId: id }, {
    ...data(tx, run, task, { attempt, state: 'triggered', dueAt: deadline, properties: spec.properties }),
    ...(release ? { artifacts: release.artifacts, provenance: release.provenance } : {}),
  });
  tx.effect({ type: 'dispatch', taskId: id, project: run.project });
  if (tx.ctx.startsOnDispatch?.(spec.kind)) startTask(tx, run, task);
  const purpose = 'task.timeout';
  tx.effect({
    type: 'setTimer',
    timer: { id: timerId(id, purpose), project: run.project, dueAt: deadline, input: { id: timerId(id, purpose), type: 'timer', timerId: timerId(id, purpose), purpose, taskId: id } },
  });
}

/** The task waits for a timer (its delay, or the backoff before a retry) before it is triggered. */
export function scheduleTask(tx: Tx, run: Run, task: TaskRun, attempt: number, dueAt: number, purpose: 'task.delay' | 'task.retry'): void {
  const id = taskId(run.id, task.name, attempt);
  tx.emit(eventTypes.task(task.name, 'scheduled'), where(run, task, id), data(tx, run, task, { attempt, state: 'scheduled', dueAt }));
  const tid = timerId(id, purpose);
  tx.effect({ type: 'setTimer', timer: { id: tid, project: run.project, dueAt, input: { id: tid, type: 'timer', timerId: tid, purpose, taskId: id } } });
}

export function skipTask(tx: Tx, run: Run, task: TaskRun, message: string): void {
  tx.emit(eventTypes.task(task.name, 'skipped'), where(run, task), data(tx, run, task, { state: 'skipped', message }));
}

/** The task starts: by Slipway's own executor, or by the claim of an outside one (recorded as its holder). */
export function startTask(tx: Tx, run: Run, task: TaskRun, claim?: TaskClaim): void {
  tx.emit(eventTypes.task(task.name, 'started'), where(run, task), data(tx, run, task, { state: 'started', ...(claim ? { executor: claim.executor, leaseHash: claim.leaseHash } : {}) }));
}

export interface Suspension {
  until?: number | undefined;
  waitingFor?: string | undefined;
  message?: string | undefined;
  output?: Readonly<Record<string, unknown>> | undefined;
}

export function suspendTask(tx: Tx, run: Run, task: TaskRun, s: Suspension): void {
  const id = taskId(run.id, task.name, task.attempt);
  const { until, waitingFor, message, output } = s;
  tx.emit(eventTypes.task(task.name, 'waiting'), where(run, task, id), data(tx, run, task, {
    state: 'waiting',
    ...(until !== undefined ? { dueAt: until } : {}),
    ...(waitingFor !== undefined ? { waitingFor } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(output !== undefined ? { output } : {}),
  }));
  // The task now waits durably: it is no longer re-dispatched after a restart.
  tx.effect({ type: 'settle', taskId: id });
  if (until !== undefined) {
    const tid = timerId(id, 'task.wake');
    tx.effect({ type: 'setTimer', timer: { id: tid, project: run.project, dueAt: until, input: { id: tid, type: 'timer', timerId: tid, purpose: 'task.wake', taskId: id } } });
  }
}

export function signalTask(tx: Tx, run: Run, task: TaskRun, signal: string, payload: Readonly<Record<string, unknown>> | undefined): void {
  const id = taskId(run.id, task.name, task.attempt);
  tx.emit(eventTypes.task(task.name, 'signaled'), where(run, task, id), data(tx, run, task, { signal, ...(payload ? { output: payload } : {}) }));
  tx.effect({ type: 'cancelTimer', id: timerId(id, 'task.wake') });
  tx.effect({ type: 'resume', taskId: id, project: run.project, signal, ...(payload ? { payload } : {}), ...(tx.by !== undefined ? { by: tx.by } : {}) });
}

export interface FinishOptions {
  result: Result;
  message?: string;
  output?: Readonly<Record<string, unknown>>;
  willRetry?: boolean;
}

export function finishTask(tx: Tx, run: Run, task: TaskRun, o: FinishOptions): void {
  const id = taskId(run.id, task.name, task.attempt);
  tx.emit(eventTypes.task(task.name, 'finished'), where(run, task, id), {
    ...data(tx, run, task, {
      state: 'finished',
      result: o.result,
      ...(o.message !== undefined ? { message: o.message } : {}),
      ...(o.output !== undefined ? { output: o.output } : {}),
    }),
    ...(o.willRetry ? { willRetry: true } : {}),
  });
  tx.effect({ type: 'settle', taskId: id });
  for (const p of ['task.timeout', 'task.wake', 'task.lease'] as const) tx.effect({ type: 'cancelTimer', id: timerId(id, p) });
}

/** Sets (or renews) the lease of a task an outside executor holds. */
export function leaseTask(tx: Tx, run: Run, task: TaskRun, leaseMs: number): number {
  const id = taskId(run.id, task.name, task.attempt);
  const tid = timerId(id, 'task.lease');
  const dueAt = tx.now + leaseMs;
  tx.effect({ type: 'setTimer', timer: { id: tid, project: run.project, dueAt, input: { id: tid, type: 'timer', timerId: tid, purpose: 'task.lease', taskId: id } } });
  return dueAt;
}
