/**
 * One supervised instance: its processes over time, one at a time. A first start must
 * become ready or it fails and stops; once ready (or adopted), the instance is kept alive:
 * a process that exits is replaced after the backoff, and a replacement that fails to
 * become ready is replaced again, more slowly. See status.ts for the states.
 */
import type { ChildProcess } from 'node:child_process';
import { restartDelay } from './backoff.js';
import type { StartFailure } from './errors.js';
import { InstanceBase } from './instance-base.js';
import { launchProcess } from './launch.js';
import { transition } from './status.js';
import { kill } from './terminate.js';
import { Watch, type ExitInfo } from './watch.js';

export type { InstanceDeps } from './instance-base.js';

export class ManagedInstance extends InstanceBase {
  private crashesInARow = 0;

  /** The first start: resolves once ready; rejects (and stops) if it never gets there. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.first = { resolve, reject };
      void this.launch();
    });
  }

  /** Takes over a process an earlier Slipway started; it passed a health check just now. */
  adopt(pid: number): void {
    Object.assign(this, { pid, adopted: true, readyAt: this.deps.clock.now() });
    this.watch = new Watch({ id: this.id, pid, port: this.port, health: this.spec.manifest.health, healthy: true }, this.deps.clock, this.handlers);
  }

  /** Starts a process again now, for an instance whose recorded process is gone. */
  restartNow(delayMs = 0): void {
    this.timer = undefined;
    if (this.status !== 'restarting' || this.halted) return;
    this.restarts++;
    transition(this, 'starting');
    void this.launch().then((spawned) => spawned && this.deps.emit('instance:restarted', { instance: this.snapshot(), delayMs }));
  }

  private async launch(): Promise<boolean> {
    const { spec, deps } = this;
    let child: ChildProcess & { pid: number };
    try {
      child = await launchProcess(spec, this.port, deps.logFile);
    } catch (err) {
      await this.attemptFailed('spawn', `cannot start \`${spec.manifest.start}\`: ${(err as Error).message}`);
      return false;
    }
    if (this.status !== 'starting' || this.halted) {
      await kill(child.pid, deps.clock); // retired or let go while spawning
      return false;
    }
    Object.assign(this, { child, pid: child.pid, adopted: false, startedAt: deps.clock.now() });
    this.note(`started pid ${child.pid} on port ${this.port}: ${spec.manifest.start}`);
    deps.persist();
    const { health } = spec.manifest;
    this.watch = new Watch({ id: spec.id, pid: child.pid, port: this.port, health, child, healthy: false }, deps.clock, this.handlers);
    const timeoutMs = spec.startTimeoutMs ?? spec.manifest.startTimeoutMs;
    this.timer = deps.clock.setTimeout(() => {
      const last = this.watch?.last?.detail ?? 'not answered yet';
      void this.attemptFailed('timeout', `${health.healthyThreshold} health checks in a row did not pass within ${timeoutMs} ms (last: GET ${health.path} ${last})`);
    }, timeoutMs);
    return true;
  }

  private readonly handlers = {
    healthy: (): void => {
      if (this.status === 'starting') this.timer?.cancel();
      transition(this, 'ready');
      this.readyAt = this.deps.clock.now();
      this.deps.emit('instance:ready', { instance: this.snapshot() });
      this.first?.resolve();
      this.first = undefined;
    },
    unhealthy: (reason: string): void => {
      transition(this, 'unhealthy');
      this.deps.emit('instance:unhealthy', { instance: this.snapshot(), reason });
    },
    exited: (exit: ExitInfo): void => void this.exited(exit),
    checked: (): void => this.deps.logFile.sync(),
  };

  private async exited(exit: ExitInfo): Promise<void> {
    const how = exit.signal ? `was killed by ${exit.signal}` : exit.code === null ? 'is gone' : `exited with code ${exit.code}`;
    this.note(`process ${this.pid} ${how}`);
    if (this.status === 'starting') return this.attemptFailed('exited', `the process ${how} before it became ready`, exit);
    this.deps.log.warn({ instanceId: this.id, pid: this.pid, ...exit }, 'instance exited unexpectedly');
    this.deps.emit('instance:exited', { instance: this.snapshot(), ...exit, expected: false });
    const { readyAt } = this;
    if (readyAt !== undefined && this.deps.clock.now() - readyAt >= this.deps.backoff.resetAfterMs) this.crashesInARow = 0;
    await this.scheduleRestart();
  }

  /** A process did not become ready: the first start fails; a restart is tried again later. */
  private async attemptFailed(reason: StartFailure, detail: string, exit?: ExitInfo): Promise<void> {
    this.timer?.cancel();
    this.watch?.stop();
    const pid = this.pid;
    if (pid !== undefined) await kill(pid, this.deps.clock);
    if (this.status !== 'starting' || this.halted) return; // retired meanwhile
    const exitInfo = exit ?? { code: this.child?.exitCode ?? null, signal: this.child?.signalCode ?? null };
    if (pid !== undefined) this.deps.emit('instance:exited', { instance: this.snapshot(), ...exitInfo, expected: !exit });
    if (!this.first) return this.scheduleRestart();
    this.finish();
    await this.failFirst(reason, detail);
  }

  private async scheduleRestart(): Promise<void> {
    const pid = this.pid;
    Object.assign(this, { pid: undefined, child: undefined, watch: undefined });
    transition(this, 'restarting');
    this.deps.persist();
    if (pid !== undefined) await kill(pid, this.deps.clock); // what the crashed process left behind
    if (this.status !== 'restarting' || this.halted) return;
    const delayMs = restartDelay(this.crashesInARow++, this.deps.backoff);
    this.note(`restarting in ${delayMs} ms`);
    this.timer = this.deps.clock.setTimeout(() => this.restartNow(delayMs), delayMs);
  }
}
