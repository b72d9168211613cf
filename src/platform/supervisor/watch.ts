/**
 * Watching one process of an instance: a health check every `intervalMs`, with thresholds
 * (`healthyThreshold` passes in a row make it healthy, `unhealthyThreshold` failures in a
 * row make a healthy one unhealthy), and its exit. A process this Slipway started reports
 * its exit; an adopted one is not our child, so each tick first checks that it still runs.
 */
import type { ChildProcess } from 'node:child_process';
import type { HealthCheck } from '../manifest/index.js';
import type { Clock, TimerHandle } from './clock.js';
import { probe, type ProbeResult } from './probe.js';
import { runsInstance } from './process.js';

export interface ExitInfo {
  /** Null when killed by a signal, or when an adopted process ended (its status is unknowable). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WatchHandlers {
  healthy(): void;
  unhealthy(reason: string): void;
  exited(exit: ExitInfo): void;
  /** After every check, passed or not. */
  checked(result: ProbeResult): void;
}

export interface WatchTarget {
  id: string;
  pid: number;
  port: number;
  health: HealthCheck;
  /** Present when this Slipway started the process. */
  child?: ChildProcess;
  /** An adopted process passed a check already. */
  healthy: boolean;
}

export class Watch {
  private healthy: boolean;
  private passes = 0;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** The latest check, for messages. */
  last: ProbeResult | undefined;

  constructor(
    private readonly target: WatchTarget,
    private readonly clock: Clock,
    private readonly on: WatchHandlers,
  ) {
    this.healthy = target.healthy;
    target.child?.once('exit', this.onExit);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.target.child?.off('exit', this.onExit);
  }

  private readonly onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (this.stopped) return;
    this.stop();
    this.on.exited({ code, signal });
  };

  private schedule(): void {
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.tick(), this.target.health.intervalMs);
  }

  private async tick(): Promise<void> {
    const { id, pid, port, health, child } = this.target;
    if (!child && !(await runsInstance(pid, id))) return this.onExit(null, null);
    const result = await probe(port, health.path, health.timeoutMs, this.clock);
    if (this.stopped) return;
    this.last = result;
    this.count(result.ok);
    this.on.checked(result);
    if (this.stopped) return;
    if (!this.healthy && this.passes >= health.healthyThreshold) {
      this.healthy = true;
      this.on.healthy();
    } else if (this.healthy && this.failures >= health.unhealthyThreshold) {
      this.healthy = false;
      this.on.unhealthy(`${this.failures} health checks in a row failed: GET ${health.path} ${result.detail}`);
    }
    this.schedule();
  }

  private count(ok: boolean): void {
    this.passes = ok ? this.passes + 1 : 0;
    this.failures = ok ? 0 : this.failures + 1;
  }
}
