/**
 * What every supervised instance holds: its spec and port, its current process, its status
 * (changed only through `transition`, see status.ts), and the bookkeeping shared by starting,
 * keeping alive and stopping it: snapshots, the desired-state record, the pending first start.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import type { InstanceRecord } from './desired.js';
import { InstanceStartError, type StartFailure } from './errors.js';
import type { InstanceLog } from './logs.js';
import { transition, type InstanceStatus } from './status.js';
import type { Instance, InstanceSpec, SupervisorEventMap } from './types.js';
import type { Watch } from './watch.js';

export interface InstanceDeps {
  clock: Clock;
  log: Logger;
  backoff: BackoffOptions;
  logFile: InstanceLog;
  emit<K extends keyof SupervisorEventMap>(event: K, ...args: SupervisorEventMap[K]): void;
  /** Write the desired state; called whenever a pid or the retiring mark changes. */
  persist(): void;
}

const TAIL_LINES = 20;

export abstract class InstanceBase {
  pid: number | undefined;
  restarts = 0;
  adopted = false;
  startedAt: number;
  readyAt: number | undefined;
  protected child: ChildProcess | undefined;
  protected watch: Watch | undefined;
  /** The start deadline, the restart backoff or the drain: one at a time. */
  protected timer: TimerHandle | undefined;
  /** The pending first start; once settled the instance is kept alive instead of failing. */
  protected first: { resolve(): void; reject(err: Error): void } | undefined;
  /** Set when this supervisor lets go (retire, stopAll): nothing new may start. */
  protected halted = false;

  constructor(
    readonly spec: InstanceSpec,
    readonly port: number,
    public status: InstanceStatus,
    protected readonly deps: InstanceDeps,
  ) {
    this.startedAt = deps.clock.now();
  }

  get id(): string {
    return this.spec.id;
  }

  snapshot(): Instance {
    const { id, dir } = this.spec;
    const { status, port, pid, restarts, adopted, startedAt, readyAt } = this;
    return { id, dir, status, port, url: `http://127.0.0.1:${port}`, pid, restarts, adopted, startedAt, readyAt };
  }

  record(): InstanceRecord {
    const { id, dir, manifest, env = {} } = this.spec;
    return { id, dir, manifest, env, port: this.port, pid: this.pid, retiring: this.status === 'draining' || undefined };
  }

  logTail(lines: number): Promise<string[]> {
    return this.deps.logFile.tail(lines);
  }

  removeLogs(): Promise<void> {
    return this.deps.logFile.remove();
  }

  protected note(text: string): void {
    this.deps.logFile.note(text, this.deps.clock.now());
  }

  /** Rejects the pending first start, with the log tail. */
  protected async failFirst(reason: StartFailure, detail: string): Promise<void> {
    const first = this.first;
    if (!first) return;
    this.first = undefined;
    const error = new InstanceStartError(this.id, reason, detail, await this.deps.logFile.tail(TAIL_LINES));
    this.deps.log.warn({ instanceId: this.id, reason }, error.message);
    first.reject(error);
  }

  /** No process runs any more: stopped, recorded, announced. */
  protected finish(): void {
    Object.assign(this, { pid: undefined, child: undefined, watch: undefined });
    transition(this, 'stopped');
    this.deps.persist();
    this.deps.emit('instance:stopped', { instance: this.snapshot() });
  }
}
