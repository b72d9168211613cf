/**
 * Who may act on a task. Slipway itself (its built-in executors) reports on any task. An
 * outside executor acts only on tasks of kinds no built-in executor serves here and that
 * its token serves (`execute:<kind>`), and on the current attempt only while it holds the
 * task's claim: the executor name it claimed with and the lease token the claim gave it.
 * The log keeps a hash of that token, so the holder is known again after a restart.
 */
import { SlipwayError } from './errors.js';
import type { TaskActor } from './inputs.js';
import type { TaskRun } from './model.js';
import type { Tx } from './tx.js';

/** What the log keeps of a lease token. */
export function leaseHash(tx: Tx, token: string): string {
  return tx.ctx.hash(`lease:${token}`);
}

/** Refuses an outside executor a task Slipway runs itself, or one of a kind its token does not serve. */
export function checkKind(tx: Tx, task: TaskRun, id: string, kinds: readonly string[] | undefined): void {
  if (tx.ctx.startsOnDispatch?.(task.kind)) {
    throw new SlipwayError('BUILTIN_TASK', `task '${id}' is of kind '${task.kind}', which Slipway runs itself: no executor may start, heartbeat or finish it. ${howItEnds(task)}`, {
      field: 'taskid',
    });
  }
  if (kinds !== undefined && !kinds.includes(task.kind)) {
    throw new SlipwayError('FORBIDDEN', `task '${id}' is of kind '${task.kind}', which this token does not serve (it serves: ${kinds.join(', ') || '(none)'}); it needs scope execute:${task.kind} or execute`, {
      field: 'taskid',
    });
  }
}

/** Refuses a report on the task's current attempt from anyone but the executor holding its claim. */
export function checkReporter(tx: Tx, task: TaskRun, id: string, attempt: number, actor: TaskActor): void {
  if (actor.type === 'slipway') return;
  checkKind(tx, task, id, actor.kinds);
  // Replies about an earlier attempt change nothing whoever sends them (they are ignored).
  if (attempt !== task.attempt) return;
  const refuse = (why: string): never => {
    throw new SlipwayError('NOT_CLAIM_HOLDER', `${why}; nothing was changed`, { field: 'taskid' });
  };
  const holder = task.claim;
  if (!holder) {
    if (task.state === 'triggered') return refuse(`task '${id}' is not claimed: claim it first, then report with the executor name and the lease token of the claim answer`);
    if (task.state === 'started') return refuse(`task '${id}' has no recorded claim (it was started before claims carried lease tokens): no executor can report on it; it ends when its lease or timeout runs out, and a retry is claimed anew`);
    return refuse(`task '${id}' is not claimed by any executor (it is ${task.state})`);
  }
  if (actor.executor !== holder.executor) refuse(`task '${id}' is claimed by executor '${holder.executor}', not by ${actor.executor === undefined ? 'an executor that gives no name' : `'${actor.executor}'`}`);
  if (actor.leaseToken === undefined) return refuse(`a report on task '${id}' needs the lease token of its claim`);
  if (leaseHash(tx, actor.leaseToken) !== holder.leaseHash) refuse(`the lease token does not match the claim of task '${id}'`);
}

function howItEnds(task: TaskRun): string {
  const signals = (task.waitingFor ?? '').split('|').filter(Boolean);
  if (signals.includes('approve') || task.kind === 'approval') return 'An approval is answered only with approve or reject (scope approve:<stage>).';
  if (task.state === 'waiting' && signals.length > 0) return `It waits for one of its signals: ${signals.join(', ')}.`;
  if (task.kind === 'wait') return 'A soak ends on its timer, or with its stop or skip signal.';
  return `Its outcome is what Slipway's own '${task.kind}' executor reports.`;
}
