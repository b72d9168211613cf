/**
 * The DeployTarget port: where a stage's services run. The built-in local platform
 * (processes behind a weighted router) and the nginx provider implement it; the `deploy`
 * and `release` executors drive it; one contract suite tests every implementation.
 */

/** One service in one stage of one project: it has one endpoint and several slots behind it. */
export interface ServiceKey {
  project: string;
  stage: string;
  service: string;
}

export interface Version {
  releaseId: string;
  /** The artifact reference as the release holds it. */
  artifact: string;
  /** Directory relative references resolve from (the project's). */
  baseDir: string;
}

export interface SlotStatus {
  slot: string;
  releaseId: string;
  artifact: string;
  weight: number;
  state: 'starting' | 'ready' | 'unhealthy' | 'stopped';
}

export interface ServiceStatus {
  /** Where users reach the service (the router's address). */
  endpoint: string;
  slots: SlotStatus[];
  mirror?: { slot: string; share: number };
}

/** Traffic a slot served: counters since the target started, to diff over a window. */
export interface SlotTraffic {
  requests: number;
  errors: number;
  /** Latency percentiles over the same counts, in ms (undefined when no request). */
  p50Ms?: number;
  p99Ms?: number;
  /**
   * Sum of latencies and counts per latency bucket (bounds: the router's LATENCY_BOUNDS_MS), so a
   * mean or percentile over an interval can be taken from two snapshots; targets that do not
   * measure latency omit them.
   */
  sumMs?: number;
  buckets?: number[];
}

export interface DeployTarget {
  readonly name: string;
  /** Starts `version` in `slot` (replacing what ran there), resolving once it is healthy. It gets no traffic yet. */
  deploy(key: ServiceKey, slot: string, version: Version, signal?: AbortSignal): Promise<void>;
  /** Sets the traffic weights of the service's slots in one step; slots not named get 0. */
  setWeights(key: ServiceKey, weights: Readonly<Record<string, number>>, mirror?: { slot: string; share: number }): Promise<void>;
  /** Stops what runs in `slot` after draining it; with `afterMs`, keeps it warm that long first (durably). */
  retire(key: ServiceKey, slot: string, afterMs?: number): Promise<void>;
  status(key: ServiceKey): Promise<ServiceStatus | undefined>;
  traffic(key: ServiceKey, slot: string): SlotTraffic;
  /** Starts the service's processes again, one slot at a time (post-release hooks). Targets that do not start processes omit it. */
  restart?(key: ServiceKey): Promise<string[]>;
  close(opts?: { leaveRunning?: boolean }): Promise<void>;
}
