/**
 * Carries dispatch and resume effects to built-in executors in this process and turns
 * their outcomes (or failures) back into inputs. Dispatch is at least once: after a
 * crash the same task id arrives again, and executors use it to act once.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoreState, Input, Result, Run, TaskRun } from '../core/index.js';
import { SLIPWAY_ACTOR, isSlipwayError, parseTaskId } from '../core/index.js';
import type { Clock } from './clock.js';
import type { EngineEmitter } from './emitter.js';
import type { Executor, ExecutorContext, PastRun, Resumption, RunQuery, SecretResolver, TaskOutcome } from './executor.js';
import { NonRetryableTaskError, RetryTaskAfterError, isShutdown, isSuspend, shutdownReason } from './executor.js';

export interface DispatcherDeps {
  state: () => CoreState;
  submit: (input: Input) => Promise<unknown>;
  executors: ReadonlyMap<string, Executor>;
  clock: Clock;
  log: Logger;
  emitter: EngineEmitter;
  workDir: string;
  projectDir: (project: string) => string;
  /** `fail`: a task no built-in executor serves fails at once; `wait`: it waits for an outside executor. */
  unservedKinds: 'fail' | 'wait';
  /** Resolves `${secret:NAME}` in properties for the executor, and redacts values from what it reports. */
  secrets?: SecretResolver;
  /** Earlier runs of a stage, newest first (the store's runs). */
  runs?: (query: RunQuery) => Promise<PastRun[]>;
}

const PROGRESS_LIMIT = 64 * 1024;

export class Dispatcher {
  private readonly inflight = new Map<string, AbortController>();
  private suspendSeq = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  dispatch(taskId: string): void {
    const found = this.find(taskId);
    if (!found || this.inflight.has(taskId)) return;
    const { run, task } = found;
    if (task.state !== 'triggered' && task.state !== 'started') return;
    const executor = this.deps.executors.get(task.kind);
    this.deps.emitter.emit('task:dispatched', { taskId, kind: task.kind, at: this.deps.clock.now() });
    if (!executor) {
      if (this.deps.unservedKinds === 'wait') {
        // An outside executor gets values in its claim: a secret that is not set fails the task now, not the claim.
        const unresolved = this.unresolved(taskId, run, task);
        if (unresolved !== undefined) return this.report(taskId, { result: 'fail', message: unresolved }, false);
        this.deps.emitter.emit('task:unserved', { taskId, kind: task.kind });
        return;
      }
      const kinds = [...this.deps.executors.keys()].sort().join(', ');
      this.report(taskId, { result: 'fail', message: `no executor serves kind '${task.kind}' here; built-in kinds: ${kinds}` }, false);
      return;
    }
    if (task.state === 'triggered') this.record({ type: 'task.started', id: `${taskId}.started`, taskId, by: `executor:${task.kind}`, actor: SLIPWAY_ACTOR }, taskId);
    this.run(taskId, run, task, executor, (ctx) => executor.execute(ctx));
  }

  resume(taskId: string, r: Resumption): void {
    const found = this.find(taskId);
    if (!found || this.inflight.has(taskId)) return;
    const executor = this.deps.executors.get(found.task.kind);
    if (!executor?.resume) {
      this.report(taskId, { result: 'fail', message: `executor '${found.task.kind}' cannot resume a waiting task` }, false);
      return;
    }
    const resume = executor.resume.bind(executor);
    this.run(taskId, found.run, found.task, executor, (ctx) => resume(ctx, r), r.by);
  }

  abort(taskId: string, reason: string): void {
    this.inflight.get(taskId)?.abort(new Error(reason));
  }

  /** Aborts everything in flight (engine stop): the tasks resume after a restart. */
  abortAll(): void {
    for (const c of this.inflight.values()) c.abort(shutdownReason());
  }

  private run(taskId: string, run: Run, task: TaskRun, executor: Executor, call: (ctx: ExecutorContext) => Promise<TaskOutcome>, by?: string): void {
    const controller = new AbortController();
    this.inflight.set(taskId, controller);
    const ctx = this.context(taskId, run, task, controller.signal);
    const done = (outcome: TaskOutcome | { result: Result; message: string; retryable: boolean; retryAfterMs?: number }) => {
      this.inflight.delete(taskId);
      // Stopping the engine aborts executors: their task resumes after restart, so report nothing.
      if (controller.signal.aborted && isShutdown(controller.signal.reason)) return;
      if ('retryable' in outcome) this.report(taskId, outcome, outcome.retryable, by, outcome.retryAfterMs);
      else this.report(taskId, outcome, true, by);
    };
    // Resolving inside the promise: a secret that is not set fails the task like any executor error.
    Promise.resolve().then(() => call(this.withSecrets(ctx))).then(done, (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof RetryTaskAfterError) done({ result: 'fail', message, retryable: true, retryAfterMs: e.delayMs });
      else done({ result: 'fail', message, retryable: !(e instanceof NonRetryableTaskError) });
      ctx.log.warn('executor failed', { kind: executor.kind, err: message });
    });
  }

  /** The executor's copy of the context: the only place `${secret:NAME}` references become values. */
  private withSecrets(ctx: ExecutorContext): ExecutorContext {
    const secrets = this.deps.secrets;
    if (!secrets) return ctx;
    const properties = secrets.resolve(ctx.task.properties, ctx.task);
    return { ...ctx, task: { ...ctx.task, properties }, redact: (text) => secrets.redact(text) };
  }

  /** Why the task's secret references cannot be resolved, or undefined when they can. */
  private unresolved(taskId: string, run: Run, task: TaskRun): string | undefined {
    const props = specOf(run, task.name)?.properties;
    try {
      if (props && this.deps.secrets) this.deps.secrets.resolve(props, { id: taskId, name: task.name, kind: task.kind });
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Secret values in the outcome's message and output are redacted as the input enters the engine (redact-report.ts). */
  private report(taskId: string, outcome: TaskOutcome, retryable: boolean, by?: string, retryAfterMs?: number): void {
    const who = by ?? `executor:${this.find(taskId)?.task.kind ?? 'unknown'}`;
    let input: Input;
    if (isSuspend(outcome)) {
      const s = outcome.suspend;
      const size = s.progress === undefined ? 0 : Buffer.byteLength(JSON.stringify(s.progress));
      if (size > PROGRESS_LIMIT) {
        return this.report(taskId, { result: 'fail', message: `the executor kept ${size} bytes of progress; at most ${PROGRESS_LIMIT} fit (a bug in the '${this.find(taskId)?.task.kind ?? 'unknown'}' executor)` }, false, by);
      }
      input = {
        type: 'task.suspended',
        id: `${taskId}.suspended.${this.deps.clock.now()}.${this.suspendSeq++}`,
        taskId,
        by: who,
        ...(s.until !== undefined ? { until: s.until } : {}),
        ...(s.waitingFor !== undefined ? { waitingFor: s.waitingFor } : {}),
        ...(s.message !== undefined ? { message: s.message } : {}),
        ...(s.progress !== undefined ? { output: s.progress } : {}),
      };
    } else {
      input = {
        type: 'task.finished',
        id: `${taskId}.finished`,
        taskId,
        by: who,
        actor: SLIPWAY_ACTOR,
        result: outcome.result,
        retryable,
        ...(outcome.message !== undefined ? { message: outcome.message } : {}),
        ...(outcome.output !== undefined ? { output: outcome.output } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    this.record(input, taskId);
  }

  /**
   * Submits an executor's report. While the store fails (locked by another process, disk
   * full) the report is kept and tried again, backing off to 10 s, so the run goes on once
   * the store is back instead of waiting for a restart. A refused report (the run ended
   * meanwhile) or a stopping engine ends the tries.
   */
  private record(input: Input, taskId: string, delayMs = 500): void {
    this.deps.submit(input).catch((e: unknown) => {
      if (isSlipwayError(e) && (e.code === 'STORE' || e.code === 'STORE_FULL')) {
        this.deps.log.warn({ err: e, taskId, input: input.type, retryInMs: delayMs }, 'could not record a task report: the store failed; trying again');
        this.deps.clock.setTimeout(() => this.record(input, taskId, Math.min(delayMs * 2, 10_000)), delayMs);
        return;
      }
      this.deps.log.error({ err: e, taskId }, 'could not record task outcome; it is dispatched again after a restart');
    });
  }

  private find(taskId: string): { run: Run; task: TaskRun } | undefined {
    const parsed = parseTaskId(taskId);
    const run = parsed ? this.deps.state().runs.get(parsed.runId) : undefined;
    const task = run?.tasks.find((t) => t.name === parsed?.task && t.attempt === parsed.attempt);
    return run && task ? { run, task } : undefined;
  }

  private context(taskId: string, run: Run, task: TaskRun, signal: AbortSignal): ExecutorContext {
    const state = this.deps.state();
    const release = state.releases.get(run.releaseId)?.release;
    const spec = specOf(run, task.name);
    const results: Record<string, Result> = {};
    for (const t of run.tasks) if (t.result && t.state === 'finished' && t.name !== task.name) results[t.name] = t.result;
    const log = this.deps.log.child({ taskId, run: run.id, task: task.name });
    const now = this.deps.clock.now();
    return {
      task: {
        id: taskId,
        name: task.name,
        kind: task.kind,
        attempt: task.attempt,
        properties: spec?.properties ?? {},
        triggeredAt: task.triggeredAt ?? now,
        deadline: task.deadline ?? now + 3_600_000,
        ...(task.data !== undefined ? { progress: task.data } : {}),
      },
      run: {
        id: run.id,
        project: run.project,
        stage: run.stage,
        sequence: run.sequence,
        releaseId: run.releaseId,
        artifacts: release?.artifacts ?? {},
        provenance: release?.provenance ?? {},
        projectDir: this.deps.projectDir(run.project),
        // Before any task of its own finished, a run judges on the result carried from the run that queued it (Keptn's approval does).
        ...((run.result ?? run.carriedResult) !== undefined ? { resultSoFar: run.result ?? run.carriedResult } : {}),
        results,
        ...(run.triggeredBy !== undefined ? { triggeredBy: run.triggeredBy } : {}),
        ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
      },
      signal,
      heartbeat: (details) => log.debug({ details }, 'heartbeat'),
      log: {
        info: (msg, fields) => log.info(fields ?? {}, msg),
        warn: (msg, fields) => log.warn(fields ?? {}, msg),
        error: (msg, fields) => log.error(fields ?? {}, msg),
      },
      workDir: join(this.deps.workDir, 'tasks'),
      now: () => this.deps.clock.now(),
      ...(this.deps.runs ? { runs: this.deps.runs } : {}),
    };
  }
}

/** The task's definition in the run's sequence. */
function specOf(run: Run, name: string) {
  return run.spec.steps.flatMap((s) => s.tasks).find((t) => t.name === name);
}
