/**
 * Approvals under a policy (see `approval-policy.ts`). The core, not the route, decides
 * who counts: every approve or reject is recorded as a `sh.slipway.release.approval`
 * event naming who, when, their groups and the comment; the one that meets the policy
 * (or the first rejection that counts) resumes the task's executor with `approve` or
 * `reject`; until then the task keeps waiting with its progress as its message.
 * Approvals given ahead wait on the release and are counted when its approval task in
 * that stage waits.
 */
import type { ApprovalDecision, ApprovalPolicy, ApprovalRecord, PolicyProgress } from './approval-policy.js';
import { evaluatePolicy, identityName, parseApprovalPolicy, whyNotCounting } from './approval-policy.js';
import { SlipwayError } from './errors.js';
import type { ApprovalEventData } from './events.js';
import { eventTypes } from './events.js';
import { advance } from './flow.js';
import type { ApprovalInput, TaskSignalInput } from './inputs.js';
import type { Run, TaskRun } from './model.js';
import { taskId } from './model.js';
import type { StageSpec } from './pipeline.js';
import type { CoreState } from './state.js';
import { openRun } from './state.js';
import { signalTask, specOf } from './tasks.js';
import type { Tx } from './tx.js';

/** What an approve or reject did, for the answer to whoever gave it. */
export interface ApprovalAnswer {
  /** Whether it counts toward the policy (always false for one kept ahead: it counts later). */
  counts: boolean;
  why?: string;
  /** `approved` / `rejected`: it decided the task; `waiting`: the task still waits; `kept`: given ahead. */
  outcome: 'approved' | 'rejected' | 'waiting' | 'kept';
  /** The policy's progress in words. */
  progress: string;
}

type Outcome = { value: { runId?: string; releaseId?: string; approval: ApprovalAnswer } };

export const APPROVAL_KIND = 'approval';

/** True for an approve or reject of a task the built-in approval executor serves: policies apply. */
export function isPolicySignal(task: TaskRun, signal: string): boolean {
  return task.kind === APPROVAL_KIND && (signal === 'approve' || signal === 'reject');
}

/** Identities that may not count when the policy says so: who triggered the release, and who queued this run. */
export function triggerers(state: Readonly<CoreState>, run: Run): string[] {
  const out = new Set<string>();
  const createdBy = state.releases.get(run.releaseId)?.release.createdBy;
  if (createdBy !== undefined) out.add(createdBy);
  // An automatic promotion records whoever's answer finished the stage before: not a promoter.
  if (run.triggeredBy !== undefined && run.origin === 'person') out.add(run.triggeredBy);
  return [...out];
}

function policyOf(run: Run, task: TaskRun): ApprovalPolicy {
  // A task whose policy does not parse never waits (its executor fails it first).
  return parseApprovalPolicy(specOf(run, task.name).properties).policy;
}

/** A waiting approval task's policy and how far its approvals go (for views: who still may approve). */
export function approvalProgress(state: Readonly<CoreState>, run: Run, task: TaskRun): { policy: ApprovalPolicy; progress: PolicyProgress; triggerers: string[] } {
  const policy = policyOf(run, task);
  const who = triggerers(state, run);
  return { policy, progress: evaluatePolicy(policy, current(task), who), triggerers: who };
}

function current(task: TaskRun): ApprovalRecord[] {
  return (task.approvals ?? []).filter((a) => a.attempt === task.attempt);
}

function waitsForApproval(task: TaskRun): boolean {
  return task.kind === APPROVAL_KIND && task.state === 'waiting' && (task.waitingFor ?? '').split('|').includes('approve');
}

function refuseRepeat(earlier: readonly ApprovalRecord[], r: ApprovalRecord, where: string): void {
  if (r.decision !== 'approve') return;
  const before = earlier.find((a) => a.by === r.by && a.decision === 'approve');
  if (!before) return;
  throw new SlipwayError(
    'INVALID_STATE',
    `${identityName(r.by)} already approved ${where} at ${new Date(before.at).toISOString()}; an identity counts once, so this approval changes nothing`,
    { field: 'by', by: r.by },
  );
}

/** Records one approve or reject on the waiting task; returns whether it counts and the progress. */
function record(tx: Tx, run: Run, task: TaskRun, r: ApprovalRecord, aheadId?: string): ApprovalAnswer {
  const policy = policyOf(run, task);
  const who = triggerers(tx.state, run);
  const why = whyNotCounting(policy, r, who);
  const progress = evaluatePolicy(policy, [...current(task), r], who);
  const data: ApprovalEventData = {
    releaseId: run.releaseId,
    stage: run.stage,
    decision: r.decision,
    by: r.by,
    groups: [...r.groups],
    ...(r.comment !== undefined ? { comment: r.comment } : {}),
    givenAt: r.at,
    ...(r.ahead ? { ahead: true } : {}),
    ...(aheadId !== undefined ? { aheadId } : {}),
    task: task.name,
    attempt: task.attempt,
    counts: why === undefined,
    ...(why !== undefined ? { why } : {}),
    progress: progress.summary,
  };
  const id = taskId(run.id, task.name, task.attempt);
  tx.emit(eventTypes.releaseApproval, { project: run.project, stage: run.stage, run, taskId: id, ...(task.triggerEventId ? { triggeredId: task.triggerEventId } : {}) }, data);
  return { counts: why === undefined, ...(why !== undefined ? { why } : {}), outcome: 'waiting', progress: progress.summary };
}

/** Resumes the task's executor when the approvals recorded decide it; returns how it stands. */
function settle(tx: Tx, run: Run, task: TaskRun): ApprovalAnswer['outcome'] {
  const progress = evaluatePolicy(policyOf(run, task), current(task), triggerers(tx.state, run));
  if (progress.rejectedBy) {
    const r = progress.rejectedBy;
    signalTask(tx, run, task, 'reject', { by: r.by, ...(r.comment !== undefined ? { comment: r.comment } : {}), summary: progress.summary });
    return 'rejected';
  }
  if (progress.met) {
    const last = current(task).filter((a) => a.decision === 'approve' && progress.counted.includes(a.by)).at(-1);
    signalTask(tx, run, task, 'approve', {
      approvers: progress.counted.map(identityName),
      ...(last?.comment !== undefined ? { comment: last.comment } : {}),
      summary: progress.summary,
    });
    return 'approved';
  }
  return 'waiting';
}

function recordOf(input: { by?: string; groups?: readonly string[]; comment?: string }, decision: ApprovalDecision, at: number): ApprovalRecord {
  return { by: input.by ?? 'anonymous', groups: [...new Set(input.groups ?? [])].sort(), decision, at, ...(input.comment !== undefined && input.comment !== '' ? { comment: input.comment } : {}) };
}

function answerTask(tx: Tx, run: Run, task: TaskRun, r: ApprovalRecord): Outcome {
  refuseRepeat(current(task), r, `task '${task.name}' of run ${run.id}`);
  const answer = record(tx, run, task, r);
  const outcome = settle(tx, run, task);
  advance(tx, run);
  return { value: { runId: run.id, releaseId: run.releaseId, approval: { ...answer, outcome } } };
}

/** `approve` or `reject` sent to a waiting approval task (the caller checked it waits for it). */
export function answerApproval(tx: Tx, run: Run, task: TaskRun, input: TaskSignalInput): Outcome {
  const comment = input.payload?.['comment'];
  const r = recordOf({ ...input, ...(typeof comment === 'string' ? { comment } : {}) }, input.signal as ApprovalDecision, tx.now);
  return answerTask(tx, run, task, r);
}

function approvalSpecs(stage: StageSpec) {
  return stage.sequences.flatMap((s) => s.steps.flatMap((step) => step.tasks.filter((t) => t.kind === APPROVAL_KIND)));
}

function approvalTasks(stage: StageSpec): string[] {
  return approvalSpecs(stage).map((t) => t.name);
}

function firstPolicy(stage: StageSpec): ApprovalPolicy {
  return parseApprovalPolicy(approvalSpecs(stage)[0]?.properties ?? {}).policy;
}

/** `slipway approve --release R --stage S`: counted now if the release's approval task there waits, else kept. */
export function approveAhead(tx: Tx, input: ApprovalInput): Outcome {
  const rs = tx.state.releases.get(input.releaseId);
  if (!rs) throw new SlipwayError('UNKNOWN_RELEASE', `release '${input.releaseId}' does not exist`, { field: 'releaseId' });
  const project = rs.release.project;
  const pipeline = tx.state.pipelines.get(project);
  const stage = pipeline?.stages.find((s) => s.name === input.stage);
  if (!pipeline || !stage) {
    const known = pipeline?.stages.map((s) => s.name).join(', ') ?? '(none)';
    throw new SlipwayError('UNKNOWN_STAGE', `stage '${input.stage}' is not defined in project '${project}'; defined stages: ${known}`, { field: 'stage' });
  }
  const names = approvalTasks(stage);
  if (names.length === 0) {
    throw new SlipwayError('INVALID_INPUT', `stage '${stage.name}' of project '${project}' has no approval task, so an approval there would never count; approve in a stage with a task of kind approval`, { field: 'stage' });
  }
  const r = recordOf(input, input.decision, tx.now);
  for (const seq of stage.sequences) {
    const run = openRun(tx.state, project, stage.name, rs.release.id, seq.name);
    const task = run?.tasks.find(waitsForApproval);
    if (run && task) return answerTask(tx, run, task, r);
  }
  const pending = rs.ahead?.get(stage.name) ?? [];
  refuseRepeat(pending, r, `release ${rs.release.id} in stage '${stage.name}' ahead of its run`);
  const data: ApprovalEventData = {
    releaseId: rs.release.id,
    stage: stage.name,
    decision: r.decision,
    by: r.by,
    groups: [...r.groups],
    ...(r.comment !== undefined ? { comment: r.comment } : {}),
    givenAt: r.at,
    ahead: true,
  };
  tx.emit(eventTypes.releaseApproval, { project, stage: stage.name, subject: rs.release.id }, data);
  // Who will count is known only when the run arrives (its promoter); say what is known now.
  const why = whyNotCounting(firstPolicy(stage), r, rs.release.createdBy !== undefined ? [rs.release.createdBy] : []);
  const progress = `kept: counts when release ${rs.release.id}'s approval task '${names[0]}' in stage '${stage.name}' waits${why !== undefined ? ` (but ${why})` : ''}`;
  return { value: { releaseId: rs.release.id, approval: { counts: false, ...(why !== undefined ? { why } : {}), outcome: 'kept', progress } } };
}

/**
 * An approval task just started waiting: approvals given ahead for its release and stage
 * are counted on it now (each as an event naming the one that kept it), and may decide it.
 */
export function countAhead(tx: Tx, run: Run, task: TaskRun): void {
  if (!waitsForApproval(task)) return;
  const pending = tx.state.releases.get(run.releaseId)?.ahead?.get(run.stage) ?? [];
  if (pending.length === 0) return;
  for (const a of [...pending]) {
    const { id, ...r } = a;
    record(tx, run, task, r, id);
  }
  settle(tx, run, task);
}
