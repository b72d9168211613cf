/**
 * Test executors for Keptn's task kinds: each execution is recorded (task, stage, sequence,
 * attempt, task id, clock time, and its place in one global order of starts and ends) and
 * ends with a result the test chooses, optionally after a delay.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Result } from '../../../src/core/index.js';
import type { Executor, ExecutorContext, Finished } from '../../../src/engine/index.js';

/** Every task kind the conformance shipyards use except `approval` (the built-in executor serves it). */
export const KEPTN_TASK_KINDS = ['deployment', 'test', 'evaluation', 'release', 'rollback', 'get-action', 'action', 'task1', 'task2', 'task3'] as const;

export interface Execution {
  taskId: string;
  task: string;
  kind: string;
  stage: string;
  sequence: string;
  runId: string;
  releaseId: string;
  attempt: number;
  properties: Readonly<Record<string, unknown>>;
  /** The injected clock's time when the executor was called (UTC ms). */
  at: number;
  /** 1 for the first execution of this stage/sequence/task, 2 for the next (a remediation loop)… */
  nth: number;
  /**
   * Positions of this execution's start and end in one order shared by every execution of
   * the recorder: overlap checks that do not depend on the timer's resolution.
   */
  beganTick: number;
  endedTick?: number;
  result?: Result;
}

/** A fixed result, or one chosen per execution. */
export type ResultRule = Result | ((e: Execution) => Result);

export interface RecorderOptions {
  /** Default: every result `pass`. */
  result?: ResultRule;
  /** Work time per execution in ms (real time, aborted with the task). Default 0. */
  delayMs?: number | ((e: Execution) => number);
  /** Holds an execution until the returned promise settles (undefined: no hold). */
  gate?: (e: Execution) => Promise<void> | undefined;
  /** Default: KEPTN_TASK_KINDS. */
  kinds?: readonly string[];
}

/**
 * Results by task, most specific key first: `stage/sequence/task`, `stage/task`, `task`;
 * anything not named gets `fallback`.
 */
export function resultsBy(map: Readonly<Record<string, Result>>, fallback: Result = 'pass'): (e: Execution) => Result {
  return (e) => map[`${e.stage}/${e.sequence}/${e.task}`] ?? map[`${e.stage}/${e.task}`] ?? map[e.task] ?? fallback;
}

export class Recorder {
  readonly executions: Execution[] = [];
  /** Most executions that were in progress at the same time. */
  maxInFlight = 0;
  private inFlight = 0;
  private tick = 0;

  constructor(private readonly opts: RecorderOptions = {}) {}

  /** One executor per kind, all recording here. */
  executors(): Executor[] {
    return (this.opts.kinds ?? KEPTN_TASK_KINDS).map((kind) => ({
      kind,
      execute: (ctx) => this.execute(ctx),
    }));
  }

  /** `stage/sequence/task` of each execution, in the order they began. */
  trail(): string[] {
    return this.executions.map((e) => `${e.stage}/${e.sequence}/${e.task}`);
  }

  private async execute(ctx: ExecutorContext): Promise<Finished> {
    const key = `${ctx.run.stage}/${ctx.run.sequence}/${ctx.task.name}`;
    const e: Execution = {
      taskId: ctx.task.id,
      task: ctx.task.name,
      kind: ctx.task.kind,
      stage: ctx.run.stage,
      sequence: ctx.run.sequence,
      runId: ctx.run.id,
      releaseId: ctx.run.releaseId,
      attempt: ctx.task.attempt,
      properties: ctx.task.properties,
      at: ctx.now(),
      nth: this.executions.filter((x) => `${x.stage}/${x.sequence}/${x.task}` === key).length + 1,
      beganTick: this.tick++,
    };
    this.executions.push(e);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await this.opts.gate?.(e);
      const delay = typeof this.opts.delayMs === 'function' ? this.opts.delayMs(e) : (this.opts.delayMs ?? 0);
      if (delay > 0) await sleepFor(delay, undefined, { signal: ctx.signal });
      const rule = this.opts.result ?? 'pass';
      const result = typeof rule === 'function' ? rule(e) : rule;
      e.endedTick = this.tick++;
      e.result = result;
      return { result, message: `recorded ${key}: ${result}` };
    } finally {
      this.inFlight--;
    }
  }
}
