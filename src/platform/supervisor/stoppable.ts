/**
 * Ending an instance: `retire` drains (the process keeps serving what the router already
 * sent it), then stops the process group; `detach` lets go of a running instance without
 * touching it, for a Slipway that is about to restart and adopt it.
 */
import type { ChildProcess } from 'node:child_process';
import { ManagedInstance } from './instance.js';
import { transition } from './status.js';
import { terminate } from './terminate.js';
import type { ExitInfo } from './watch.js';

export interface RetireOptions {
  /** How long the process keeps serving before SIGTERM; only a ready or unhealthy one drains. */
  drainMs: number;
  /** How long after SIGTERM before SIGKILL. */
  graceMs: number;
}

const EXIT_STATUS_WAIT_MS = 1000;

function exitOf(child: ChildProcess | undefined): Promise<ExitInfo | undefined> {
  if (!child) return Promise.resolve(undefined);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export class StoppableInstance extends ManagedInstance {
  private retiring: Promise<void> | undefined;
  private detached = false;
  private endDrain: (() => void) | undefined;

  retire(opts: RetireOptions): Promise<void> {
    this.retiring ??= this.drainAndStop(opts);
    return this.retiring;
  }

  /** Lets go without stopping anything; a retire in progress is left to the next Slipway. */
  detach(): void {
    this.detached = true;
    this.endDrain?.();
    this.halted = true;
    this.timer?.cancel();
    this.watch?.stop();
    void this.failFirst('stopped', 'the supervisor stopped before it became ready');
  }

  private async drainAndStop({ drainMs, graceMs }: RetireOptions): Promise<void> {
    if (this.status === 'stopped') return;
    const serving = this.status === 'ready' || this.status === 'unhealthy';
    this.halted = true;
    transition(this, 'draining');
    this.timer?.cancel();
    this.watch?.stop();
    this.deps.persist();
    await this.failFirst('stopped', 'it was retired before it became ready');
    const { pid, child } = this;
    const { clock } = this.deps;
    if (pid !== undefined) {
      const exited = exitOf(child);
      this.note(serving ? `retiring: serving for ${drainMs} ms more, then SIGTERM` : 'retiring: SIGTERM');
      if (serving && drainMs > 0) await this.drain(drainMs);
      if (this.detached) return;
      const { killed } = await terminate(pid, graceMs, clock);
      this.note(killed ? `stopped: SIGKILL after ${graceMs} ms` : 'stopped');
      const exit = await this.within(exited, EXIT_STATUS_WAIT_MS);
      this.deps.emit('instance:exited', { instance: this.snapshot(), code: exit?.code ?? null, signal: exit?.signal ?? null, expected: true });
    }
    this.finish();
  }

  /** The exit status, if the child reports it soon; an adopted process has none. */
  private within<T>(promise: Promise<T | undefined>, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => resolve(undefined), ms);
      void promise.then((value) => {
        timer.cancel();
        resolve(value);
      });
    });
  }

  /** The drain delay; cut short when the supervisor lets go. */
  private drain(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => resolve(), ms);
      this.endDrain = () => {
        timer.cancel();
        resolve();
      };
    });
  }
}
