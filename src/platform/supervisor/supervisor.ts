/**
 * The supervisor: runs app versions as processes on ports it assigns on 127.0.0.1, keeps
 * them alive, retires them with a drain, and records what should run so that a restarted
 * Slipway adopts the processes still running instead of starting a second of any.
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { SlipwayError } from '../../core/index.js';
import { adoptRecord, type AdoptReport } from './adopt.js';
import { defaultBackoff, type BackoffOptions } from './backoff.js';
import { wallClock, type Clock } from './clock.js';
import { readDesired } from './desired.js';
import { conflictingInstance, unknownInstance } from './errors.js';
import { defaultLogLimits, type LogLimits } from './logs.js';
import { freePort } from './ports.js';
import { Registry } from './registry.js';
import { isLive } from './status.js';
import type { StoppableInstance } from './stoppable.js';
import type { Instance, InstanceSpec, SupervisorEventMap } from './types.js';

export interface SupervisorOptions {
  /** Holds supervisor.json and logs/ (and, for resolveArtifact, artifacts/). */
  dataDir: string;
  clock?: Clock;
  log?: Logger;
  backoff?: Partial<BackoffOptions>;
  logLimits?: Partial<LogLimits>;
  /** Between SIGTERM and SIGKILL when stopping a process; default 5000 ms. */
  killGraceMs?: number;
  /** Stopped instances remembered for get() and logs(); default 50. */
  keepStopped?: number;
}

export class Supervisor extends EventEmitter<SupervisorEventMap> {
  readonly stateFile: string;
  private readonly registry: Registry;
  private readonly firstStarts = new Map<string, { dir: string; started: Promise<Instance> }>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly killGraceMs: number;
  private adoption: Promise<AdoptReport> | undefined;
  private adopting: Promise<unknown> = Promise.resolve();

  constructor(opts: SupervisorOptions) {
    super();
    this.clock = opts.clock ?? wallClock;
    this.log = opts.log ?? pino({ level: 'silent' });
    this.killGraceMs = opts.killGraceMs ?? 5000;
    this.registry = new Registry({
      dataDir: opts.dataDir,
      clock: this.clock,
      log: this.log,
      backoff: { ...defaultBackoff, ...opts.backoff },
      logLimits: { ...defaultLogLimits, ...opts.logLimits },
      keepStopped: opts.keepStopped ?? 50,
      emit: (event, ...args) => this.safeEmit(event, ...args),
    });
    this.stateFile = this.registry.stateFile;
  }

  /**
   * Starts the instance and resolves once it is ready; rejects with InstanceStartError if it
   * never gets there. Starting an id that runs (or is starting) from the same dir returns it.
   * The first start adopts what the desired state lists, if adopt() was not called yet.
   */
  async start(spec: InstanceSpec): Promise<Instance> {
    this.assertOpen();
    if (!spec.id) throw new SlipwayError('INVALID_INPUT', 'an instance needs a non-empty id', { field: 'id' });
    await (this.adoption ??= this.adopt());
    const pending = this.firstStarts.get(spec.id);
    const current = this.registry.instances.get(spec.id);
    const live = current && isLive(current.status) ? current : undefined;
    const runningDir = pending?.dir ?? live?.spec.dir;
    if (runningDir !== undefined && runningDir !== spec.dir) throw conflictingInstance(spec.id, runningDir, spec.dir);
    if (pending) return pending.started;
    if (live) return live.snapshot();
    const started = this.startNew(spec, current);
    this.firstStarts.set(spec.id, { dir: spec.dir, started });
    try {
      return await started;
    } finally {
      if (this.firstStarts.get(spec.id)?.started === started) this.firstStarts.delete(spec.id);
    }
  }

  /** Adopts or restarts what the desired state lists (see adopt.ts); call once, before new starts. */
  adopt(): Promise<AdoptReport> {
    const adoption = this.adopting.then(() => this.adoptRecorded()); // one at a time: never two of an id
    this.adopting = adoption.catch(() => undefined);
    this.adoption ??= adoption;
    return adoption;
  }

  private async adoptRecorded(): Promise<AdoptReport> {
    this.assertOpen();
    const report: AdoptReport = { adopted: [], restarted: [], stopped: [] };
    const status = (id: string): string => this.registry.instances.get(id)?.status ?? 'stopped';
    const ours = (id: string): boolean => status(id) !== 'stopped' || this.firstStarts.has(id);
    const records = readDesired(this.stateFile).filter((r) => !ours(r.id));
    const ctx = { registry: this.registry, log: this.log, clock: this.clock, killGraceMs: this.killGraceMs, emit: this.safeEmit.bind(this) };
    await Promise.all(records.map((r) => adoptRecord(r, ctx, report)));
    this.registry.persist();
    return report;
  }

  /** Lets the instance drain (default: its manifest's drainMs), then stops it; resolves when its processes are gone. */
  async retire(id: string, opts: { drainMs?: number; graceMs?: number } = {}): Promise<void> {
    const instance = this.registry.instances.get(id);
    if (!instance) return;
    await instance.retire({ drainMs: opts.drainMs ?? instance.spec.manifest.drainMs, graceMs: opts.graceMs ?? this.killGraceMs });
  }

  list(): Instance[] {
    return [...this.registry.instances.values()].map((i) => i.snapshot());
  }

  get(id: string): Instance | undefined {
    return this.registry.instances.get(id)?.snapshot();
  }

  /** The last `tail` lines (default 100) the instance printed, with Slipway's own notes about it. */
  async logs(id: string, opts: { tail?: number } = {}): Promise<string[]> {
    const instance = this.registry.instances.get(id);
    if (!instance) throw unknownInstance(id, [...this.registry.instances.keys()]);
    return instance.logTail(opts.tail ?? 100);
  }

  /**
   * Stops every instance at once (no drain) and closes the supervisor. With `leaveRunning`
   * the processes keep running and the desired state keeps listing them, for the next Slipway.
   */
  async stopAll(opts: { leaveRunning?: boolean } = {}): Promise<void> {
    if (this.registry.closed) return;
    const all = [...this.registry.instances.values()];
    if (opts.leaveRunning) {
      this.registry.closed = true;
      for (const instance of all) instance.detach();
      this.registry.instances.clear();
      return;
    }
    await Promise.all(all.map((i) => i.retire({ drainMs: 0, graceMs: this.killGraceMs })));
    this.registry.closed = true;
  }

  private async startNew(spec: InstanceSpec, previous: StoppableInstance | undefined): Promise<Instance> {
    if (previous?.status === 'draining') await this.retire(spec.id); // never two processes of one id
    const port = await freePort(this.registry.takenPorts());
    this.registry.reserve(port);
    await this.registry.logFile(spec.id).remove();
    const instance = this.registry.create(spec, port, 'starting');
    this.registry.persist();
    await instance.start();
    return instance.snapshot();
  }

  private safeEmit<K extends keyof SupervisorEventMap>(event: K, ...args: SupervisorEventMap[K]): void {
    try {
      (this.emit as (e: K, ...a: SupervisorEventMap[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ event, err }, 'a supervisor event listener threw');
    }
  }

  private assertOpen(): void {
    if (this.registry.closed) throw new SlipwayError('SHUTTING_DOWN', 'the supervisor was stopped (stopAll); create a new one', {});
  }
}
