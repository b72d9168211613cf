/**
 * The one interface every executor implements, built-in or (through the API) outside.
 * An executor receives an explicit context: the task id to act once, the attempt, an
 * AbortSignal, heartbeat(), a scoped logger. It returns an outcome or throws; retry
 * lives in the failure type (NonRetryableTaskError, RetryTaskAfterError); any other
 * error is a retryable failure.
 */
import type { Artifacts, Provenance, Result, RunState } from '../core/index.js';
import { SlipwayError, isSlipwayError } from '../core/index.js';

export interface TaskLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface TaskInfo {
  /** Stable across redelivery of the same attempt: use it to act once. */
  id: string;
  name: string;
  kind: string;
  attempt: number;
  properties: Readonly<Record<string, unknown>>;
  /** When the task was triggered (UTC ms): a restart re-dispatches with the same value. */
  triggeredAt: number;
  /** The task's deadline (UTC ms). */
  deadline: number;
  /**
   * What this attempt's last suspension kept (`suspend.progress`): a gate's samples and
   * since when its signals hold. Absent on the first call of an attempt.
   */
  progress?: Readonly<Record<string, unknown>>;
}

export interface RunInfo {
  id: string;
  project: string;
  stage: string;
  sequence: string;
  releaseId: string;
  artifacts: Artifacts;
  provenance: Provenance;
  /** Directory of the pipeline file: relative paths in properties resolve from here. */
  projectDir: string;
  /** Worst result of the run's tasks finished so far; before any finished, the result carried from the run that queued it (undefined: neither). */
  resultSoFar?: Result;
  /** Results of the run's earlier tasks by name. */
  results: Readonly<Record<string, Result>>;
  /** The identity that triggered the release into this stage or promoted it there. */
  triggeredBy?: string;
  /** When the run started (UTC ms). */
  startedAt?: number;
}

/** Earlier runs of a stage, for checks that look back (evaluation history, "no run failed in dev"). */
export interface RunQuery {
  project: string;
  stage: string;
  /** Only runs whose release holds this service. */
  service?: string;
  /** Most runs to return, newest first (default 50, at most 500). */
  limit?: number;
  states?: RunState[];
}

export interface PastTask {
  name: string;
  kind: string;
  result?: Result;
  message?: string;
  /** The output the task finished with (or its last progress while waiting). */
  data?: Readonly<Record<string, unknown>>;
  finishedAt?: number;
}

export interface PastRun {
  id: string;
  releaseId: string;
  sequence: string;
  state: RunState;
  result?: Result;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  triggeredBy?: string;
  tasks: readonly PastTask[];
}

export interface ExecutorContext {
  task: TaskInfo;
  run: RunInfo;
  /** Aborted when the run is aborted, the task times out, or Slipway stops. */
  signal: AbortSignal;
  /** Tells Slipway the executor is alive (outside executors extend their lease with it). */
  heartbeat(details?: Record<string, unknown>): void;
  log: TaskLogger;
  /** Directory the executor may keep per-task files in (pid files, bounded output). */
  workDir: string;
  /** Current time (UTC ms) from the injected clock. */
  now(): number;
  /** Runs of a stage, newest first, read from the store (absent where no store is wired, e.g. mocks). */
  runs?(query: RunQuery): Promise<PastRun[]>;
  /**
   * Replaces every secret value this task was given by `[secret:NAME]`: for what an
   * executor keeps beyond its outcome (the outcome itself is redacted by the dispatcher).
   */
  redact?(text: string): string;
}

/** Where the task's fields sit, for messages. */
export interface TaskWhere {
  id: string;
  name: string;
  kind: string;
}

/**
 * Secrets by reference: properties hold `${secret:NAME}`; only the copy an executor runs
 * with holds values, and what comes back from it holds names again.
 */
export interface SecretResolver {
  /** `properties` with each reference replaced by its value; throws NonRetryableTaskError naming a secret that is not set. */
  resolve(properties: Readonly<Record<string, unknown>>, task: TaskWhere): Readonly<Record<string, unknown>>;
  /** `value` (text or a JSON-like value) with every known secret value replaced by `[secret:NAME]`. */
  redact<T>(value: T): T;
}

export interface Finished {
  result: Result;
  message?: string;
  /** Kept with the task (bounded by the executor): output tail, exit code, status. */
  output?: Record<string, unknown>;
}

/**
 * Ask to be resumed at a time, or when a named signal arrives (approval, stop/skip).
 * `progress` (JSON, at most 64 KiB) is shown with the waiting task and handed back as
 * `ctx.task.progress` on resume: state that must survive a restart lives here, not in memory.
 */
export interface Suspend {
  suspend: { until?: number; waitingFor?: string; message?: string; progress?: Record<string, unknown> };
}

export type TaskOutcome = Finished | Suspend;

export interface Resumption {
  /** `timer` when the suspension time came, otherwise the signal's name. */
  signal: string;
  payload?: Readonly<Record<string, unknown>>;
  by?: string;
}

export interface Executor {
  /** The task kind it serves. */
  readonly kind: string;
  /** Timeout when the task sets none, in ms (may depend on properties, e.g. a soak's duration). */
  defaultTimeoutMs?(properties: Readonly<Record<string, unknown>>): number;
  /** Checks properties when a pipeline is loaded; returns problems as `{field, message}`. */
  validate?(properties: Readonly<Record<string, unknown>>): { field: string; message: string }[];
  execute(ctx: ExecutorContext): Promise<TaskOutcome>;
  /** Continues a suspended task. Required for executors that suspend. */
  resume?(ctx: ExecutorContext, resumption: Resumption): Promise<TaskOutcome>;
  /**
   * Called once the task's outcome is committed: the executor may drop what it kept to act
   * once across a crash (pid and exit files). Never called before, so a crash loses nothing.
   */
  cleanup?(taskId: string, workDir: string): Promise<void>;
}

export class NonRetryableTaskError extends Error {
  override readonly name = 'NonRetryableTaskError';
}

export class RetryTaskAfterError extends Error {
  override readonly name = 'RetryTaskAfterError';
  constructor(
    message: string,
    readonly delayMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSuspend(o: TaskOutcome): o is Suspend {
  return 'suspend' in o;
}

/**
 * The abort reason when Slipway itself stops: the task is dispatched again after restart,
 * so an executor should let go (leave a command running to be adopted) and report nothing.
 */
export function shutdownReason(): SlipwayError {
  return new SlipwayError('SHUTTING_DOWN', 'Slipway is stopping; the task resumes after restart');
}

export function isShutdown(reason: unknown): boolean {
  return isSlipwayError(reason) && reason.code === 'SHUTTING_DOWN';
}
