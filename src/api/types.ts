/**
 * What the API's modules share: the dependencies buildServer receives, the fastify
 * instance typed with the zod provider, and the per-route settings every route declares
 * in its `config` (the scope it needs, the body types it accepts).
 */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Slipway } from '../main.js';
import type { SseLimits } from './sse-sink.js';
import type { IdempotencyOptions, WithheldAnswer } from './idempotency.js';
import type { Registry } from 'prom-client';
import type { ReplicaStatusSource } from './routes/replicas.js';

/**
 * The scope a route needs:
 * - none: anyone (health, metrics, the OpenAPI document and its page)
 * - read: a token with `read` (or nobody, with `--open-read`)
 * - trigger / execute / admin: a token with that scope
 * - approve: `approve:<stage of the task's run>` or `approve:*`
 * - audit: read the audit log and verify its chain (auditors, SIEM exporters)
 * `admin` satisfies every scope.
 */
export type RouteScope = 'none' | 'read' | 'trigger' | 'approve' | 'execute' | 'admin' | 'audit';

export interface Identity {
  tokenId: string;
  name: string;
  scopes: readonly string[];
  /** The token's groups, carried into approvals (approval policies count by group). */
  groups: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    /** Media types the body may have (default: application/json). */
    accepts?: readonly string[];
    /**
     * How an Idempotency-Key is kept (src/api/idempotency.ts). false: the request holds a secret
     * the server must not keep, so the key is ignored. WithheldAnswer: the answer holds a secret
     * shown once, so a repeat gets 409 IDEMPOTENT_ANSWER_WITHHELD naming what the first request made.
     */
    idempotency?: false | WithheldAnswer;
  }
  interface FastifyRequest {
    /** The token that made the request; null for routes that need none, or open reads without one. */
    identity: Identity | null;
  }
}

export interface PushOptions {
  /** Delivery attempts before the task fails (default 5). */
  attempts: number;
  /** Delay before the second attempt; doubles each time (default 1000 ms). */
  baseDelayMs: number;
  /** Time one POST may take (default 10 s). */
  timeoutMs: number;
  /** Lease held while delivering, renewed between attempts (default 60 s). */
  leaseMs: number;
  /** Deliveries in flight per subscription (default 8). */
  concurrency: number;
}

export interface ApiDeps {
  slipway: Slipway;
  /** Reads without a token are allowed. */
  openRead: boolean;
  log?: Logger;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Interval of SSE keep-alive comments (default 15 s). */
  sseHeartbeatMs?: number;
  /** When an event stream's reader counts as stopped and is dropped (defaults in DEFAULT_SSE_LIMITS). */
  sseLimits?: Partial<SseLimits>;
  push?: Partial<PushOptions>;
  /** How long answers to an Idempotency-Key are kept, and pruned (defaults in DEFAULT_IDEMPOTENCY). */
  idempotency?: Partial<IdempotencyOptions>;
  /** The built dashboard (default: dist/web beside the server's code); null serves none. */
  webRoot?: string | null;
  /** What GET /api/v1/system/replicas answers (default: a single SQLite server, always active). */
  replicas?: ReplicaStatusSource;
  /** More Prometheus registries for /metrics (replicas: slipway_replica_active). */
  registries?: readonly Registry[];
}

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** `token:<name>` for the event log. */
export function by(identity: Identity | null): string {
  return identity ? `token:${identity.name}` : 'anonymous';
}
