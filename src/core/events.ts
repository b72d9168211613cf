/**
 * Slipway's events are CloudEvents 1.0 in structured JSON form. The type scheme:
 *
 * | type | when |
 * | --- | --- |
 * | `sh.slipway.release.created` | a release (artifact bundle) was first seen |
 * | `sh.slipway.release.promotable` | a release passed what a manual stage needs; someone may promote it |
 * | `sh.slipway.release.rollback` | an earlier release is put back into a stage (its run follows) |
 * | `sh.slipway.release.alarm` | an alarm fired in a stage's watch window: the release's pass there became a failure |
 * | `sh.slipway.release.approval` | someone approved or rejected a release in a stage: on its waiting approval task, or ahead of it |
 * | `sh.slipway.run.queued` / `.started` / `.waiting` / `.paused` / `.resumed` / `.finished` | a run's transitions |
 * | `sh.slipway.run.frozen` / `.thawed` / `.freeze-overridden` | a queued run held by a freeze window, let go when it ended, or by an admin |
 * | `sh.slipway.run.loop-stopped` | a finished run would queue its own sequence again past `maxRemediationLoops`: it is not queued |
 * | `sh.slipway.schedule.armed` / `.disarmed` | a stage's promotion schedule was set (or changed) with its next fire time, or removed |
 * | `sh.slipway.schedule.fired` / `.skipped` | a schedule came due: which release entered, or why none did |
 * | `sh.slipway.promotion.held` / `.resumed` | a person put an older release into a stage: automatic promotion there holds, until someone resumes it |
 * | `sh.slipway.flag.changed` | a feature flag's rollout in a stage changed: by a flag task, by hand, or back with a rollback (flags.ts) |
 * | `sh.slipway.task.<task>.scheduled` | a task waits for its delay (`triggeredAfter`) |
 * | `sh.slipway.task.<task>.triggered` | a task was handed to its executor |
 * | `sh.slipway.task.<task>.started` / `.waiting` / `.signaled` / `.finished` / `.skipped` | a task's transitions |
 *
 * Every event carries the extension attributes `project`, and where they apply `runid`,
 * `taskid` and `triggeredid` (the id of the `.triggered` event a task event answers, as Keptn does).
 */
import type { Artifacts, Provenance, Release, Run, RunOrigin, RunState, TaskState } from './model.js';
import type { Result } from './pipeline.js';

export const EVENT_PREFIX = 'sh.slipway.';

export interface SlipwayEvent<D = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  /** `/projects/<project>` or `/projects/<project>/stages/<stage>` */
  source: string;
  type: string;
  subject?: string;
  /** RFC 3339 */
  time: string;
  datacontenttype: 'application/json';
  project: string;
  runid?: string;
  taskid?: string;
  triggeredid?: string;
  data: D;
}

export type TaskPhase = 'scheduled' | 'triggered' | 'started' | 'waiting' | 'signaled' | 'finished' | 'skipped';

export const eventTypes = {
  releaseCreated: `${EVENT_PREFIX}release.created`,
  releasePromotable: `${EVENT_PREFIX}release.promotable`,
  releaseRollback: `${EVENT_PREFIX}release.rollback`,
  releaseApproval: `${EVENT_PREFIX}release.approval`,
  releaseAlarm: `${EVENT_PREFIX}release.alarm`,
  runQueued: `${EVENT_PREFIX}run.queued`,
  runStarted: `${EVENT_PREFIX}run.started`,
  runWaiting: `${EVENT_PREFIX}run.waiting`,
  runPaused: `${EVENT_PREFIX}run.paused`,
  runResumed: `${EVENT_PREFIX}run.resumed`,
  runFinished: `${EVENT_PREFIX}run.finished`,
  runFrozen: `${EVENT_PREFIX}run.frozen`,
  runThawed: `${EVENT_PREFIX}run.thawed`,
  runFreezeOverridden: `${EVENT_PREFIX}run.freeze-overridden`,
  runLoopStopped: `${EVENT_PREFIX}run.loop-stopped`,
  scheduleArmed: `${EVENT_PREFIX}schedule.armed`,
  scheduleDisarmed: `${EVENT_PREFIX}schedule.disarmed`,
  scheduleFired: `${EVENT_PREFIX}schedule.fired`,
  scheduleSkipped: `${EVENT_PREFIX}schedule.skipped`,
  promotionHeld: `${EVENT_PREFIX}promotion.held`,
  promotionResumed: `${EVENT_PREFIX}promotion.resumed`,
  pullRequestReady: `${EVENT_PREFIX}pr.ready`,
  flagChanged: `${EVENT_PREFIX}flag.changed`,
  task: (task: string, phase: TaskPhase) => `${EVENT_PREFIX}task.${task}.${phase}`,
} as const;

/** Splits `sh.slipway.task.<task>.<phase>`; undefined for other types. */
export function parseTaskEventType(type: string): { task: string; phase: TaskPhase } | undefined {
  const m = /^sh\.slipway\.task\.(.+)\.(scheduled|triggered|started|waiting|signaled|finished|skipped)$/.exec(type);
  return m ? { task: m[1]!, phase: m[2] as TaskPhase } : undefined;
}

// ---- event payloads (the `data` of each type) ----

export interface ReleaseCreatedData {
  release: Release;
}
export interface ReleasePromotableData {
  releaseId: string;
  stage: string;
  sequence: string;
  /** Set when the stage promotes automatically but did not take this release: why (a hold, a newer release there). */
  reason?: string;
}

/** A stage's schedule is armed: its cron and zone, and the next fire time (UTC ms; absent: never). */
export interface ScheduleArmedData {
  stage: string;
  cron: string;
  timeZone: string;
  next?: number;
}

export interface ScheduleDisarmedData {
  stage: string;
  reason: string;
}

/**
 * A schedule came due at `dueAt` (decided at the event's time: later when Slipway was down).
 * Fired: `releaseId` entered as run `runId`. Skipped: `code` and `reason` say why.
 * `next`: the fire time armed after it.
 */
export interface ScheduleFireData {
  stage: string;
  cron: string;
  timeZone: string;
  dueAt: number;
  next?: number;
  releaseId?: string;
  runId?: string;
  selection?: string;
  /** Fired after Slipway was down over the fire time (missed: run-once). */
  late?: boolean;
  code?: ScheduleSkipCode;
  reason?: string;
}

/** Why a fire brought no release. */
export type ScheduleSkipCode = 'missed' | 'held' | 'nothing-passed' | 'not-new' | 'in-progress';

export interface PromotionHeldData {
  stage: string;
  releaseId: string;
  automationWould: string;
  by: string;
  how: string;
  reason: string;
}

/** A pull request's environment serves its artifact (`pr.ready`, from the pull-request environments; notifications read it). */
export interface PullRequestReadyData {
  /** The forge's number (GitHub PR number, GitLab MR iid). */
  number: number;
  /** The environment's stage, `pr-<n>`. */
  stage: string;
  /** Where the environment answers (its router's URL). */
  environmentUrl?: string;
  /** The release deployed there. */
  releaseId?: string;
  commit?: string;
  branch?: string;
  title?: string;
  author?: string;
  /** The pull request's page on the forge. */
  url?: string;
  /** UTC ms when the environment stops unless renewed. */
  expiresAt?: number;
}

export interface PromotionResumedData {
  stage: string;
  by: string;
  heldBy: string;
  heldAt: number;
  heldRelease: string;
  reason?: string;
}
export interface RollbackData {
  stage: string;
  /** The release that ran there before the rollback, per service. */
  from: Readonly<Record<string, string>>;
  releaseId: string;
  reason?: string;
  by?: string;
  /** For an automatic rollback: the failed run it answers (marked `rolledBackTo`). */
  runId?: string;
}
/**
 * One approve or reject. On a waiting approval task the event carries `runid` and
 * `taskid`; one given ahead (before the run reached the stage) carries neither and is
 * counted, as a second event naming it in `aheadId`, when the release's approval task in
 * that stage waits.
 */
export interface ApprovalEventData {
  releaseId: string;
  stage: string;
  decision: 'approve' | 'reject';
  by: string;
  /** The token's groups when it answered. */
  groups: string[];
  comment?: string;
  /** UTC ms when it was given. */
  givenAt: number;
  /** Given before the run reached the stage. */
  ahead?: boolean;
  /** For one given ahead and now counted on a task: the id of the event that kept it. */
  aheadId?: string;
  /** On a task: its name and attempt. */
  task?: string;
  attempt?: number;
  /** On a task: whether it counts toward the policy, and why not. */
  counts?: boolean;
  why?: string;
  /** On a task: the policy's progress after it, in words. */
  progress?: string;
}
export interface RunQueuedData {
  run: Run;
}
export interface RunStartedData {
  stage: string;
  releaseId: string;
  /** Step the run starts at (a retried run starts at the failed step). */
  step: number;
}
export interface RunStateData {
  stage: string;
  state: RunState;
  reason?: string;
  by?: string;
}
export interface RunFinishedData {
  stage: string;
  sequence: string;
  releaseId: string;
  state: RunState;
  result?: Result;
  reason?: string;
  by?: string;
}
export interface TaskEventData {
  stage: string;
  sequence: string;
  releaseId: string;
  task: string;
  kind: string;
  attempt: number;
  state: TaskState;
  /** Artifacts of the release, so an outside executor needs nothing else. */
  artifacts?: Artifacts;
  properties?: Readonly<Record<string, unknown>>;
  result?: Result;
  message?: string;
  output?: Readonly<Record<string, unknown>>;
  dueAt?: number;
  waitingFor?: string;
  signal?: string;
  by?: string;
  provenance?: Provenance;
  /** On `.started` by a claim: the executor that holds the task. */
  executor?: string;
  /** On `.started` by a claim: sha256 of the claim's lease token (the token itself is never stored). */
  leaseHash?: string;
}

/**
 * A finished run did not queue `sequence` in `stage` again: the chain of runs already ran
 * it `loops` times, the project's limit (`maxRemediationLoops`). Carries the finished run's `runid`.
 */
export interface RunLoopStoppedData {
  stage: string;
  sequence: string;
  releaseId: string;
  limit: number;
  loops: number;
  reason: string;
}

/** A queued run held by a freeze window (again, when the window or its end changed). */
export interface RunFrozenData {
  stage: string;
  releaseId: string;
  windows: readonly string[];
  until: number;
  atLeast?: boolean;
  reason?: string;
  origin: RunOrigin;
}

export interface RunThawedData {
  stage: string;
  releaseId: string;
  windows: readonly string[];
  reason: string;
}

export interface FreezeOverriddenData {
  stage: string;
  releaseId: string;
  windows: readonly string[];
  by: string;
  reason: string;
}

/** An alarm fired in a stage's watch window after the release succeeded there (see alarms.ts). */
export interface ReleaseAlarmData {
  stage: string;
  sequence: string;
  releaseId: string;
  /** The run that succeeded and was watched. */
  runId: string;
  /** The stage's alarm that fired. */
  alarm: string;
  /** The firing alerts it matched (at most 10). */
  alerts: readonly { name: string; labels: Readonly<Record<string, string>> }[];
  /** The release the stage goes back to; absent when no earlier good release is known. */
  rollbackTo?: string;
  /** Queued runs of the release downstream that were stopped before they started. */
  stopped?: readonly string[];
  reason: string;
}
