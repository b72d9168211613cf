/**
 * Everything that changes state enters the core as an Input. Each input has an id: the
 * events it produces derive their ids from it, so applying the same input twice is
 * recognisable, and a reply from an executor for a task that already ended changes nothing.
 */
import type { FlagSetInput } from './flag-types.js';
import type { PullRequestReadyData } from './events.js';
import type { Artifacts, Provenance } from './model.js';
import type { Result } from './pipeline.js';

export type Input =
  | TriggerInput
  | PromoteInput
  | RollbackInput
  | TaskStartedInput
  | TaskFinishedInput
  | TaskSuspendedInput
  | TaskSignalInput
  | TaskClaimedInput
  | TaskHeartbeatInput
  | TimerInput
  | RunControlInput
  | StageAlarmInput
  | ApprovalInput
  | ScheduleSyncInput
  | PromotionResumeInput
  | PullRequestReadyInput
  | SchemaContractInput
  | FlagSetInput;

export interface InputBase {
  id: string;
  /** Identity that asked for it (token name, `cli:<user>`, `executor:<kind>`); recorded in events. */
  by?: string;
}

/** Hand a release to the project: creates it if new and queues it into `stage` (default: the first stage). */
export interface TriggerInput extends InputBase {
  type: 'trigger';
  project: string;
  artifacts: Artifacts;
  provenance?: Provenance;
  stage?: string;
  sequence?: string;
  /** Set by schedules, webhooks and watchers: freeze windows for automation hold the run. Absent: a person asked. */
  automated?: boolean;
}

/** Manual promotion of a release into a stage whose upstream it passed. */
export interface PromoteInput extends InputBase {
  type: 'promote';
  project: string;
  releaseId: string;
  stage: string;
  sequence?: string;
}

/**
 * Puts an earlier release back into a stage by running the stage's sequence with it:
 * `to`, or (absent) the stage's last good release where what runs now is not it.
 */
/** `slipway migrate contract`: run a release's contract in a stage now (see schema-changes-contract.ts). Without a release: the newest expand not contracted. */
export interface SchemaContractInput extends InputBase {
  type: 'schema.contract';
  project: string;
  stage: string;
  releaseId?: string;
  service?: string;
}

export interface RollbackInput extends InputBase {
  type: 'rollback';
  project: string;
  stage: string;
  to?: string;
  reason?: string;
}

/**
 * Who reports on a task. The core decides what each may do (`task-inputs.ts`): Slipway
 * itself reports on any task; an outside executor only on the task it claimed (the same
 * executor name and the claim's lease token), never on a task of a kind Slipway runs
 * itself, and only on kinds its token serves.
 */
export type TaskActor = SlipwayActor | ExecutorActor;

/** Slipway itself: a built-in executor in this process (the dispatcher marks its own reports). */
export interface SlipwayActor {
  type: 'slipway';
}

/** An outside executor (pull or push), with what its claim answer gave it. */
export interface ExecutorActor {
  type: 'executor';
  /** The executor name it claimed with (`subscription:<id>` for a push subscription). */
  executor?: string;
  /** The lease token of its claim (never stored: the log keeps its hash). */
  leaseToken?: string;
  /** Kinds its token serves (`execute:<kind>` scopes); absent: every kind. */
  kinds?: readonly string[];
}

export const SLIPWAY_ACTOR: SlipwayActor = { type: 'slipway' };

export interface TaskStartedInput extends InputBase {
  type: 'task.started';
  taskId: string;
  actor: TaskActor;
}

export interface TaskFinishedInput extends InputBase {
  type: 'task.finished';
  taskId: string;
  actor: TaskActor;
  result: Result;
  message?: string;
  output?: Readonly<Record<string, unknown>>;
  /** False for a failure that must not be retried (NonRetryableTaskError). */
  retryable?: boolean;
  /** Wait at least this long before the next attempt (RetryTaskAfterError). */
  retryAfterMs?: number;
}

/** The executor asks to be resumed at `until`, or when a signal named `waitingFor` arrives. */
export interface TaskSuspendedInput extends InputBase {
  type: 'task.suspended';
  taskId: string;
  until?: number;
  waitingFor?: string;
  message?: string;
  /**
   * What the executor wants back when resumed, and shows meanwhile (a gate's samples, an
   * approval's progress): kept on the `.waiting` event and the task, reset by a new attempt.
   */
  output?: Readonly<Record<string, unknown>>;
}

/** A person or system answers a waiting task: `approve`/`reject`, `stop`/`skip`, or an executor-defined name. */
export interface TaskSignalInput extends InputBase {
  type: 'task.signal';
  taskId: string;
  signal: string;
  payload?: Readonly<Record<string, unknown>>;
  /** The groups of the token that sent it: approval policies count approvers by group. */
  groups?: readonly string[];
}

/**
 * Approve or reject a release in a stage (scope approve:<stage>): counted on the release's
 * approval task there if it waits, else kept and counted when it does.
 */
export interface ApprovalInput extends InputBase {
  type: 'release.approval';
  releaseId: string;
  stage: string;
  decision: 'approve' | 'reject';
  comment?: string;
  groups?: readonly string[];
}

/**
 * An outside executor took a triggered task; it holds it while it renews the lease. The
 * lease token (random, made outside the core) proves the claim later; the log keeps only
 * its hash.
 */
export interface TaskClaimedInput extends InputBase {
  type: 'task.claimed';
  taskId: string;
  executor: string;
  leaseMs: number;
  leaseToken: string;
  /** Kinds the claimer's token serves (`execute:<kind>` scopes); absent: every kind. */
  kinds?: readonly string[];
}

/** An outside executor is alive and still working on the task: the lease runs `leaseMs` from now. */
export interface TaskHeartbeatInput extends InputBase {
  type: 'task.heartbeat';
  taskId: string;
  leaseMs: number;
  actor: TaskActor;
}

/**
 * `run.thaw`: a freeze window holding a queued run ends (the task id only names the run, see freeze.ts).
 * `schedule.fire`: a stage's promotion schedule came due (`schedule` says which; the task id is empty).
 */
export type TimerPurpose = 'task.timeout' | 'task.delay' | 'task.wake' | 'task.retry' | 'task.lease' | 'run.thaw' | 'schedule.fire' | 'schema.contract';

/** A durable timer came due. */
export interface TimerInput extends InputBase {
  type: 'timer';
  timerId: string;
  purpose: TimerPurpose;
  taskId: string;
  /** For `schedule.fire`: the stage and the fire time the timer was armed for. */
  schedule?: ScheduleFire;
}

/** `run.unfreeze`: an admin lets one run held by a freeze window start; `reason` is required and recorded. */
export interface RunControlInput extends InputBase {
  type: 'run.abort' | 'run.pause' | 'run.resume' | 'run.retry' | 'run.unfreeze';
  runId: string;
  reason?: string;
}

/**
 * An alarm of `stage` fired within its watch window after `releaseId` succeeded there (sent
 * by the alarm watcher): the pass becomes a failure, promotion stops, the stage rolls back.
 */
export interface StageAlarmInput extends InputBase {
  type: 'stage.alarm';
  project: string;
  stage: string;
  releaseId: string;
  alarm: string;
  alerts: readonly { name: string; labels: Readonly<Record<string, string>> }[];
}

/**
 * A project's pipeline became current (or Slipway started): its stages' schedules are armed,
 * re-armed when their cron or zone changed, or dropped when gone (see schedule.ts).
 */
export interface ScheduleSyncInput extends InputBase {
  type: 'schedule.sync';
  project: string;
}

/** A stage's schedule came due at `dueAt` (a durable timer): the selected release enters, or the fire is skipped with a reason. */
export interface ScheduleFire {
  project: string;
  stage: string;
  /** The fire time the timer was armed for (UTC ms); the decision's time may be later (Slipway was down). */
  dueAt: number;
}

/** `slipway resume-auto STAGE`: a person lifts the hold on automatic promotion into a stage (see holds.ts). */
export interface PromotionResumeInput extends InputBase {
  type: 'promotion.resume';
  project: string;
  stage: string;
  /** Why, recorded in the event. */
  reason?: string;
}

/**
 * A pull request's environment serves its artifact (sent by the pull-request environments
 * after the deploy run `runId` succeeded): recorded as a `pr.ready` event, so notifications
 * and the event stream hear of it like any other event of the log.
 */
export interface PullRequestReadyInput extends InputBase {
  type: 'pr.ready';
  project: string;
  /** The deploy run, when there is one. */
  runId?: string;
  data: PullRequestReadyData;
}
