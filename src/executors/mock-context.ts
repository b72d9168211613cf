/**
 * An ExecutorContext without the engine, for testing an executor on its own (Temporal's
 * MockActivityEnvironment): a real AbortController, recorded heartbeats and log lines,
 * a temp workDir and a clock that moves only when told to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskId } from '../core/index.js';
import type { ExecutorContext, RunInfo, TaskInfo, TaskLogger } from '../engine/executor.js';

export interface MockExecutorContextOptions {
  task?: Partial<TaskInfo>;
  run?: Partial<RunInfo>;
  /** Share a workDir between contexts (a restarted engine); default: a new temp directory. */
  workDir?: string;
  /** Start of the clock (UTC ms); default: the real time at construction. */
  now?: number;
}

export interface RecordedLog {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

export interface RecordedHeartbeat {
  at: number;
  details?: Record<string, unknown>;
}

const HOUR = 3_600_000;

export class MockExecutorContext implements ExecutorContext {
  readonly task: TaskInfo;
  readonly run: RunInfo;
  readonly workDir: string;
  readonly heartbeats: RecordedHeartbeat[] = [];
  readonly logs: RecordedLog[] = [];
  readonly log: TaskLogger;
  private readonly controller = new AbortController();
  private readonly ownsWorkDir: boolean;
  private clock: number;

  constructor(options: MockExecutorContextOptions = {}) {
    this.clock = options.now ?? Date.now();
    this.ownsWorkDir = options.workDir === undefined;
    this.workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'slipway-executor-'));
    this.run = {
      id: 'run-1',
      project: 'demo',
      stage: 'dev',
      sequence: 'delivery',
      releaseId: 'rel-1',
      artifacts: { app: 'registry.example/app:1.0.0' },
      provenance: {},
      projectDir: this.workDir,
      results: {},
      ...options.run,
    };
    const name = options.task?.name ?? 'task';
    const attempt = options.task?.attempt ?? 1;
    this.task = {
      id: taskId(this.run.id, name, attempt),
      name,
      kind: 'noop',
      attempt,
      properties: {},
      triggeredAt: this.clock,
      deadline: this.clock + HOUR,
      ...options.task,
    };
    const record = (level: RecordedLog['level']) => (msg: string, fields?: Record<string, unknown>) => {
      this.logs.push(fields === undefined ? { level, msg } : { level, msg, fields });
    };
    this.log = { info: record('info'), warn: record('warn'), error: record('error') };
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts ctx.signal as the engine does on run abort, timeout or shutdown. */
  abort(reason: unknown = new Error('aborted by test')): void {
    this.controller.abort(reason);
  }

  heartbeat(details?: Record<string, unknown>): void {
    this.heartbeats.push(details === undefined ? { at: this.clock } : { at: this.clock, details });
  }

  now(): number {
    return this.clock;
  }

  setNow(ms: number): void {
    this.clock = ms;
  }

  advance(ms: number): void {
    this.clock += ms;
  }

  /** Removes the workDir if this context created it. */
  dispose(): void {
    if (this.ownsWorkDir) rmSync(this.workDir, { recursive: true, force: true });
  }
}

export function mockExecutorContext(options?: MockExecutorContextOptions): MockExecutorContext {
  return new MockExecutorContext(options);
}
