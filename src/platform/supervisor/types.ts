/** What the supervisor takes and hands out. */
import type { AppManifest } from '../manifest/index.js';
import type { InstanceStatus } from './status.js';

export interface InstanceSpec {
  /** Stable across restarts of Slipway: `<project>/<stage>/<service>/<slot>/<releaseId>`. */
  id: string;
  /** The directory the app starts in (a resolved deployable's `dir`). */
  dir: string;
  manifest: AppManifest;
  /** Added over the manifest's env; the port variable and SLIPWAY_INSTANCE_ID win over both. */
  env?: Record<string, string>;
  /** Overrides the manifest's `startTimeoutMs` for this start. */
  startTimeoutMs?: number;
}

/** A snapshot of an instance; it does not change when the instance does. */
export interface Instance {
  id: string;
  dir: string;
  status: InstanceStatus;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The leader of the current process group; absent while none runs. */
  pid?: number;
  /** Processes started again after a crash, over the instance's life. */
  restarts: number;
  /** Whether the current process was started by an earlier Slipway and adopted. */
  adopted: boolean;
  startedAt: number;
  readyAt?: number;
}

export interface ExitEvent {
  instance: Instance;
  code: number | null;
  signal: string | null;
  /** True when Slipway stopped it (retire, stopAll, a failed start); false for a crash. */
  expected: boolean;
}

export interface SupervisorEventMap {
  'instance:ready': [{ instance: Instance }];
  'instance:unhealthy': [{ instance: Instance; reason: string }];
  'instance:exited': [ExitEvent];
  /** A new process was started after a crash; `delayMs` is the backoff it waited. */
  'instance:restarted': [{ instance: Instance; delayMs: number }];
  'instance:stopped': [{ instance: Instance }];
}
