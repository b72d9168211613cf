/**
 * The supervisor's bookkeeping: the instances by id (live ones, and the last few stopped
 * ones for get() and logs()), the desired-state file that mirrors the live ones, ports
 * handed out, and the dependencies each instance gets.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.js';
import type { Clock } from './clock.js';
import { writeDesired } from './desired.js';
import type { InstanceDeps } from './instance.js';
import { InstanceLog, type LogLimits } from './logs.js';
import { logFileName } from './names.js';
import type { InstanceStatus } from './status.js';
import { StoppableInstance } from './stoppable.js';
import type { InstanceSpec, SupervisorEventMap } from './types.js';

export interface RegistryOptions {
  dataDir: string;
  clock: Clock;
  log: Logger;
  backoff: BackoffOptions;
  logLimits: LogLimits;
  keepStopped: number;
  emit<K extends keyof SupervisorEventMap>(event: K, ...args: SupervisorEventMap[K]): void;
}

export class Registry {
  readonly stateFile: string;
  readonly instances = new Map<string, StoppableInstance>();
  private readonly reserved = new Set<number>();
  /** Once closed, the desired state file is left as it is, for the next Slipway. */
  closed = false;

  constructor(private readonly opts: RegistryOptions) {
    this.stateFile = join(opts.dataDir, 'supervisor.json');
  }

  create(spec: InstanceSpec, port: number, status: InstanceStatus): StoppableInstance {
    const instance = new StoppableInstance(spec, port, status, this.deps(this.logFile(spec.id)));
    this.instances.set(spec.id, instance);
    this.reserved.delete(port);
    return instance;
  }

  logFile(id: string): InstanceLog {
    return new InstanceLog(join(this.opts.dataDir, 'logs', logFileName(id)), this.opts.logLimits);
  }

  /** Ports of live instances and ports given out for starts not yet registered. */
  takenPorts(): Set<number> {
    const used = [...this.instances.values()].filter((i) => i.status !== 'stopped').map((i) => i.port);
    return new Set([...used, ...this.reserved]);
  }

  reserve(port: number): void {
    this.reserved.add(port);
  }

  persist(): void {
    if (this.closed) return;
    const live = [...this.instances.values()].filter((i) => i.status !== 'stopped');
    writeDesired(this.stateFile, live.map((i) => i.record()));
  }

  private deps(logFile: InstanceLog): InstanceDeps {
    const { clock, log, backoff } = this.opts;
    return {
      clock,
      log,
      backoff,
      logFile,
      emit: (event, ...args) => {
        if (event === 'instance:stopped') this.prune();
        this.opts.emit(event, ...args);
      },
      persist: () => this.persist(),
    };
  }

  /** Forgets the oldest stopped instances beyond `keepStopped`, with their log files. */
  private prune(): void {
    const stopped = [...this.instances.values()].filter((i) => i.status === 'stopped');
    for (const old of stopped.slice(0, Math.max(0, stopped.length - this.opts.keepStopped))) {
      this.instances.delete(old.id);
      void old.removeLogs();
    }
  }
}
