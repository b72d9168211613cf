import type { ApprovalRecord } from './approval-policy.js';
import type { Result, SequenceSpec } from './pipeline.js';

/** `{service → artifact reference}`; the reference is opaque to the core. */
export type Artifacts = Readonly<Record<string, string>>;

export interface Provenance {
  commit?: string;
  /** UTC ms */
  commitTime?: number;
  author?: string;
  /** Where the release came from: `cli`, `api`, `webhook`, `github`, `gitlab`, `watcher`, … */
  source?: string;
  /** UTC ms of the oldest commit of the change (lead time runs from it); absent when unknown. */
  firstCommitTime?: number;
  /** The webhook delivery (or watched ref@commit) that created it. */
  delivery?: string;
}

/** An immutable bundle of artifacts. Its id is derived from the project and the artifacts only. */
export interface Release {
  id: string;
  project: string;
  artifacts: Artifacts;
  provenance: Provenance;
  createdAt: number;
  /** The identity whose trigger created it: it does not count toward its own approval policies. */
  createdBy?: string;
}

/**
 * Run states.
 * - queued: waiting for its stage's services to be free (or for a retry to start), or held
 *   by a freeze window (`frozen` set; shown as frozen)
 * - running: tasks are being triggered and executed
 * - waiting: every active task waits on a person, a timer or a signal
 * - paused: someone paused it; tasks in flight finish, no new task starts until resumed
 * - succeeded: the sequence ended with pass or warning
 * - failed: a task failed (after its retries) and the sequence ended
 * - aborted: someone aborted it, or a newer release superseded it while queued
 */
export const RunStates = {
  queued: 'queued',
  running: 'running',
  waiting: 'waiting',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  aborted: 'aborted',
} as const;
export type RunState = (typeof RunStates)[keyof typeof RunStates];

export const TerminalRunStates: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'aborted']);
/** States in which a run holds its stage's services. */
export const ActiveRunStates: ReadonlySet<RunState> = new Set(['running', 'waiting', 'paused']);

/**
 * Task states.
 * - pending: its step has not started
 * - scheduled: its step started, the task waits for its `delay` (a timer)
 * - triggered: handed to an executor, not yet reported started
 * - started: an executor works on it
 * - waiting: the executor suspended it until a time or a signal (soak, manual approval)
 * - finished: it ended with a result
 * - skipped: its condition was false, or the run stopped before it
 */
export const TaskStates = {
  pending: 'pending',
  scheduled: 'scheduled',
  triggered: 'triggered',
  started: 'started',
  waiting: 'waiting',
  finished: 'finished',
  skipped: 'skipped',
} as const;
export type TaskState = (typeof TaskStates)[keyof typeof TaskStates];

export interface TaskRun {
  name: string;
  kind: string;
  step: number;
  state: TaskState;
  /** 1-based; a retry or a run retry increments it. */
  attempt: number;
  result?: Result;
  message?: string;
  /** Free-form output an executor reported (bounded by the executor). */
  data?: Readonly<Record<string, unknown>>;
  triggeredAt?: number;
  /** Id of the `.triggered` event of the current attempt: later events of the task name it as `triggeredid`. */
  triggerEventId?: string;
  /** Deadline of the current attempt (UTC ms). */
  deadline?: number;
  startedAt?: number;
  finishedAt?: number;
  /** For `waiting`: when the executor asked to be resumed, if on a timer. */
  waitUntil?: number;
  /** For `waiting`: the signal it waits for (`approval`, …). */
  waitingFor?: string;
  /** Who finished it by a signal (approver, the person who stopped a soak). */
  by?: string;
  /**
   * The outside executor holding the current attempt (set by its claim): its name and the
   * hash of its lease token. Absent for tasks Slipway runs itself, for tasks not claimed
   * yet, and for tasks started before claims carried lease tokens.
   */
  claim?: TaskClaim;
  /** An approval task's approves and rejects (each tagged with the attempt it was given to). */
  approvals?: TaskApproval[];
}

export interface TaskApproval extends ApprovalRecord {
  attempt: number;
}

export interface TaskClaim {
  executor: string;
  leaseHash: string;
}

export interface Run {
  id: string;
  project: string;
  stage: string;
  sequence: string;
  releaseId: string;
  /** Services the run touches: the release's services. */
  services: readonly string[];
  state: RunState;
  /** Worst result of its finished tasks so far; the run's result once it ended. */
  result?: Result;
  /** The sequence definition as it was when the run was queued. */
  spec: SequenceSpec;
  pipelineVersion: string;
  /** Index of the step being executed. */
  step: number;
  tasks: TaskRun[];
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Order among queued runs of the project; assigned by the core. */
  queueSeq: number;
  /** Why it ended that way (abort reason, superseding release, failed task). */
  reason?: string;
  triggeredBy?: string;
  /** Why it was queued when not by a trigger or a promotion: `rollback` runs do not promote downstream. */
  cause?: 'rollback';
  /**
   * The result of the run whose finish queued this one (Keptn carries it into the next
   * sequence): what an approval first in the sequence decides on, and, when `fail`, what
   * marks this run as a reaction to a failure (a rollback or remediation sequence).
   */
  carriedResult?: Result;
  /** The run whose finish queued this one. */
  carriedFrom?: string;
  /**
   * How often each `stage/sequence` ran in the chain of runs that queued this one (this one
   * not counted): a sequence that triggers itself stops at the project's `maxRemediationLoops`.
   */
  loops?: Readonly<Record<string, number>>;
  /** A failed run whose stage was put back to an earlier release: that release (see flow.ts autoRollback). */
  rolledBackTo?: string;
  /** The run did not queue its own sequence again: the limit was reached (the `run.loop-stopped` event's reason). */
  loopStopped?: string;
  /** True while paused: the state before pausing, to return to. */
  pausedFrom?: RunState;
  /** Who set it off, for freeze windows that hold automation only; absent (older runs): automation. */
  origin?: RunOrigin;
  /** While queued: the freeze window holding it back (see freeze.ts). */
  frozen?: RunFrozen;
  /** An admin let it through a freeze: who, why, when. */
  freezeOverride?: FreezeOverride;
}

/** Who set a run off: a person (a trigger or promotion by a token or the CLI), or automation (auto promotion, schedules, webhooks). */
export type RunOrigin = 'person' | 'automation';

/** What holds a stage for one audience at an instant, and until when. */
export interface FreezeHold {
  /** Names of the windows holding now. */
  windows: readonly string[];
  /** UTC ms the stage opens again (overlapping and back-to-back windows merged). */
  until: number;
  /** The merge stopped at its limit: the stage opens at `until` or later (the timer re-checks then). */
  atLeast?: boolean;
  reason?: string;
}

/** On a queued run held by a freeze: since when. */
export interface RunFrozen extends FreezeHold {
  since: number;
}

export interface FreezeOverride {
  by: string;
  reason: string;
  at: number;
  windows: readonly string[];
}

/**
 * Automatic promotion into a stage is held: a person put a release there that is older than
 * the one automation would bring (see holds.ts). Lifted only by `resume-auto`.
 */
export interface PromotionHold {
  project: string;
  stage: string;
  /** Who stepped in. */
  by: string;
  /** UTC ms. */
  at: number;
  /** The release the person chose. */
  releaseId: string;
  /** The newer release automation would have brought then. */
  automationWould: string;
  /** `promote`, `rollback` or `trigger`. */
  how: string;
}

/** A stage's armed schedule: the next fire time and the last fire's outcome. */
export interface ScheduleState {
  project: string;
  stage: string;
  cron: string;
  timeZone: string;
  /** UTC ms of the next fire; absent when the cron names no later time. */
  next?: number;
  last?: ScheduleOutcome;
}

export interface ScheduleOutcome {
  /** The fire time it was for, and when it was decided (later when Slipway was down). */
  dueAt: number;
  at: number;
  fired: boolean;
  releaseId?: string;
  runId?: string;
  /** Why it was skipped (or, for a late fire, that it was late). */
  reason?: string;
}

/** What runs where: per stage and service. */
export interface LiveEntry {
  project: string;
  stage: string;
  service: string;
  releaseId: string;
  artifact: string;
  runId: string;
  state: RunState;
  since: number;
  lastGoodReleaseId?: string;
  lastGoodArtifact?: string;
  /** The good release before the last good one: where an alarm in a watch window rolls back to. */
  previousGoodReleaseId?: string;
  previousGoodArtifact?: string;
}

/** The outcome of a release in one stage (its delivery sequence): used for promotion and upstream checks. */
export interface StagePass {
  stage: string;
  sequence: string;
  releaseId: string;
  runId: string;
  result: Result;
  at: number;
  /** Results of the run's tasks, for Keptn selectors on task results. */
  taskResults: Readonly<Record<string, Result>>;
  /** Set when an alarm fired in the stage's watch window after it passed: the pass became a failure. */
  alarm?: { name: string; at: number };
}

/** Per artifact (service + ref): the stages it passed, in whichever release. */
export interface ArtifactPass {
  project: string;
  service: string;
  artifact: string;
  stage: string;
  releaseId: string;
  result: Result;
  at: number;
}

export function taskId(runId: string, taskName: string, attempt: number): string {
  return `${runId}.${taskName}.${attempt}`;
}

export function parseTaskId(id: string): { runId: string; task: string; attempt: number } | undefined {
  const m = /^(.+)\.([^.]+)\.(\d+)$/.exec(id);
  if (!m) return undefined;
  return { runId: m[1]!, task: m[2]!, attempt: Number(m[3]) };
}

const order: Record<Result, number> = { pass: 0, warning: 1, fail: 2 };
export function worst(a: Result | undefined, b: Result | undefined): Result | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return order[a] >= order[b] ? a : b;
}
