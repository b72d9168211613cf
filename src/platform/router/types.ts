/**
 * What the router is told: the slots behind its one port, their weights, and an optional mirror.
 * A slot is a name (`blue`, `green`, `stable`, `canary`, `preview`) for one running version.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Upstream {
  host: string;
  port: number;
}

export interface SlotSpec {
  /** The version's processes; requests to the slot go round-robin over them. */
  upstreams: readonly Upstream[];
  /** Relative integer weight; 0 takes no normal traffic but still answers preview routing. */
  weight: number;
}

export type SlotMap = Readonly<Record<string, SlotSpec>>;

/** A dark launch: `share` (0..1) of live requests is also sent to `slot`, whose answers are discarded. */
export interface MirrorSpec {
  slot: string;
  share: number;
}

export interface RoutingOptions {
  mirror?: MirrorSpec;
}

/** The Prometheus labels every series of one router carries. */
export interface RouterLabels {
  project: string;
  stage: string;
  service: string;
}

export interface RouterOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: the system picks a free port; read it from `listen()` or `address`. */
  port?: number;
  log?: Logger;
  /** Where the prom-client metrics go; without one the router keeps only its own counts. */
  registry?: Registry;
  labels?: RouterLabels;
  /** Pin each client (by cookie) to the slot it first got while that slot keeps a weight. */
  sticky?: boolean;
  /** Wall clock for snapshot times (UTC ms); latencies use the monotonic clock. */
  now?: () => number;
  /** Most connections the router opens to one upstream; default 256. */
  connectionsPerUpstream?: number;
  /** Most mirrored requests in flight at once; beyond it mirroring skips requests. Default 64. */
  mirrorInFlight?: number;
  /** How long a mirrored request may wait for headers, or between body chunks; default 10 s. */
  mirrorTimeoutMs?: number;
}

export interface RouterAddress {
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
}

/** Header and cookie that route a request straight to a named slot. */
export const SLOT_HEADER = 'x-slipway-slot';
export const SLOT_COOKIE = 'slipway-slot';
/** Cookie that pins a client to a slot when the router is sticky. */
export const STICKY_COOKIE = 'slipway-sticky';
/** Header the router adds to a mirrored request so the dark version can tell. */
export const MIRROR_HEADER = 'x-slipway-mirror';
