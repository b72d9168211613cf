/**
 * Inputs about one task: an executor's replies (started, suspended, finished), a
 * person's signal (approve, stop a soak), and the task's durable timers. Who may reply
 * on a task is decided here too, before anything changes (see `task-owner.ts`).
 */
import type { ApprovalAnswer } from './approvals.js';
import { answerApproval, countAhead, isPolicySignal } from './approvals.js';
import { SlipwayError } from './errors.js';
import { advance } from './flow.js';
import type { TaskClaimedInput, TaskFinishedInput, TaskHeartbeatInput, TaskSignalInput, TaskStartedInput, TaskSuspendedInput, TimerInput } from './inputs.js';
import type { Run, TaskRun } from './model.js';
import { parseTaskId, taskId } from './model.js';
import { isTerminal } from './state.js';
import { afterMigration } from './schema-changes-decide.js';
import { checkKind, checkReporter, leaseHash } from './task-owner.js';
import { ACTIVE_TASK_STATES, finishTask, leaseTask, scheduleTask, signalTask, specOf, startTask, suspendTask, timerId, triggerTask } from './tasks.js';
import type { Tx } from './tx.js';

type TaskInput = TaskStartedInput | TaskFinishedInput | TaskSuspendedInput | TaskSignalInput | TaskClaimedInput | TaskHeartbeatInput | TimerInput;
type Outcome = { ignored?: string; value?: { runId?: string; releaseId?: string; leaseExpiresAt?: number; approval?: ApprovalAnswer } };

/** Backoff before retry attempt n+1 when the executor named none: 1 s, 2 s, 4 s … at most 1 min. */
export function retryBackoffMs(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 60_000);
}

export function decideTask(tx: Tx, input: TaskInput): Outcome {
  // A fired timer is consumed whatever it finds.
  if (input.type === 'timer') tx.effect({ type: 'cancelTimer', id: input.timerId });
  const parsed = parseTaskId(input.taskId);
  const run = parsed ? tx.state.runs.get(parsed.runId) : undefined;
  const task = run?.tasks.find((t) => t.name === parsed?.task);
  if (!parsed || !run || !task) {
    if (input.type === 'task.signal' || input.type === 'task.claimed' || input.type === 'task.heartbeat') throw new SlipwayError('UNKNOWN_TASK', `task '${input.taskId}' does not exist`, { field: 'taskId' });
    return { ignored: `task ${input.taskId} is unknown` };
  }
  const value = { runId: run.id, releaseId: run.releaseId };
  if (input.type === 'task.started' || input.type === 'task.finished' || input.type === 'task.heartbeat') checkReporter(tx, task, input.taskId, parsed.attempt, input.actor);
  if (input.type === 'task.claimed') checkKind(tx, task, input.taskId, input.kinds);
  const current = task.attempt === parsed.attempt && !isTerminal(run);
  const active = current && ACTIVE_TASK_STATES.has(task.state) && task.state !== 'scheduled';
  switch (input.type) {
    case 'task.started':
      if (!current || task.state !== 'triggered') return { ignored: `task ${input.taskId} is ${task.state}`, value };
      startTask(tx, run, task);
      return { value };
    case 'task.suspended':
      if (!active) return { ignored: `task ${input.taskId} is ${task.state}`, value };
      suspendTask(tx, run, task, input);
      countAhead(tx, run, task);
      advance(tx, run);
      return { value };
    case 'task.signal':
      return signal(tx, run, task, input, current);
    case 'task.claimed':
      if (!current || task.state !== 'triggered') {
        throw new SlipwayError('INVALID_STATE', `task ${input.taskId} cannot be claimed: it is ${isTerminal(run) ? `in a ${run.state} run` : task.state}`, { field: 'taskId' });
      }
      startTask(tx, run, task, { executor: input.executor, leaseHash: leaseHash(tx, input.leaseToken) });
      return { value: { ...value, leaseExpiresAt: leaseTask(tx, run, task, input.leaseMs) } };
    case 'task.heartbeat':
      if (!current || task.state !== 'started') {
        throw new SlipwayError('INVALID_STATE', `task ${input.taskId} is no longer running (${isTerminal(run) ? `its run is ${run.state}` : `it is ${task.state}`}): stop working on it`, { field: 'taskId' });
      }
      return { value: { ...value, leaseExpiresAt: leaseTask(tx, run, task, input.leaseMs) } };
    case 'task.finished':
      if (!active) return { ignored: `task ${input.taskId} already ${task.state}`, value };
      finished(tx, run, task, input);
      return { value };
    case 'timer':
      return timer(tx, run, task, input, current, active) ?? { value };
  }
}

/** `skip` on a task waiting for its delay (`triggeredAfter`) or retry backoff: it is triggered now. */
export const SKIP_DELAY = 'skip';

function signal(tx: Tx, run: Run, task: TaskRun, input: TaskSignalInput, current: boolean): Outcome {
  if (current && task.state === 'scheduled' && input.signal === SKIP_DELAY) {
    const id = taskId(run.id, task.name, task.attempt);
    for (const p of ['task.delay', 'task.retry'] as const) tx.effect({ type: 'cancelTimer', id: timerId(id, p) });
    triggerTask(tx, run, task, task.attempt);
    return { value: { runId: run.id, releaseId: run.releaseId } };
  }
  if (!current || task.state !== 'waiting') {
    const hint = current && task.state === 'scheduled' ? `; it waits for its delay until ${new Date(task.waitUntil ?? tx.now).toISOString()}: send '${SKIP_DELAY}' to trigger it now` : '';
    throw new SlipwayError('INVALID_STATE', `task '${task.name}' of run ${run.id} is not waiting for a signal (it is ${task.state}${isTerminal(run) ? `, run ${run.state}` : ''})${hint}`, {
      field: 'taskId',
    });
  }
  const accepted = (task.waitingFor ?? '').split('|').filter(Boolean);
  if (!accepted.includes(input.signal)) {
    throw new SlipwayError('INVALID_INPUT', `task '${task.name}' does not accept signal '${input.signal}'; it accepts: ${accepted.join(', ') || '(none)'}`, {
      field: 'signal',
    });
  }
  if (isPolicySignal(task, input.signal)) return answerApproval(tx, run, task, input);
  signalTask(tx, run, task, input.signal, input.payload);
  advance(tx, run);
  return { value: { runId: run.id, releaseId: run.releaseId } };
}

function finished(tx: Tx, run: Run, task: TaskRun, input: Pick<TaskFinishedInput, 'result' | 'message' | 'output' | 'retryable' | 'retryAfterMs'>): void {
  const spec = specOf(run, task.name);
  const retry = input.result === 'fail' && input.retryable !== false && task.attempt <= spec.retries;
  finishTask(tx, run, task, {
    result: input.result,
    ...(input.message !== undefined ? { message: input.message } : {}),
    ...(input.output !== undefined ? { output: input.output } : {}),
    ...(retry ? { willRetry: true } : {}),
  });
  if (retry) {
    const delay = Math.max(input.retryAfterMs ?? 0, retryBackoffMs(task.attempt));
    scheduleTask(tx, run, task, task.attempt + 1, tx.now + delay, 'task.retry');
    return;
  }
  afterMigration(tx, run, task, input.result, input.output);
  advance(tx, run);
}

function timer(tx: Tx, run: Run, task: TaskRun, input: TimerInput, current: boolean, active: boolean): Outcome | undefined {
  const id = taskId(run.id, task.name, task.attempt);
  switch (input.purpose) {
    case 'task.timeout': {
      if (!active) return { ignored: `timeout of ${input.taskId}: task is ${task.state}` };
      const spec = specOf(run, task.name);
      const took = tx.now - (task.triggeredAt ?? tx.now);
      tx.effect({ type: 'abort', taskId: id, reason: 'timeout' });
      finished(tx, run, task, { result: 'fail', message: `timed out after ${Math.round(took / 1000)}s (timeout ${spec.timeoutMs !== undefined ? `${spec.timeoutMs / 1000}s` : 'default'})` });
      return undefined;
    }
    case 'task.delay':
    case 'task.retry':
      if (!current || task.state !== 'scheduled') return { ignored: `${input.purpose} of ${input.taskId}: task is ${task.state}` };
      triggerTask(tx, run, task, task.attempt);
      return undefined;
    case 'task.lease':
      if (!active || task.state !== 'started') return { ignored: `lease of ${input.taskId}: task is ${task.state}` };
      tx.effect({ type: 'abort', taskId: id, reason: 'lease expired' });
      finished(tx, run, task, { result: 'fail', message: 'the executor stopped renewing its lease (it crashed or lost its connection)' });
      return undefined;
    case 'task.wake':
      if (!current || task.state !== 'waiting') return { ignored: `wake of ${input.taskId}: task is ${task.state}` };
      signalTask(tx, run, task, 'timer', undefined);
      advance(tx, run);
      return undefined;
  }
}
