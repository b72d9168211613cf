/**
 * `GET /api/v1/system/replicas` (read): which replica answered, its role, and the active
 * replica (the engine lease's holder, its URL, epoch and expiry). A server on SQLite is its
 * own single, always active replica. Also the gauge `slipway_replica_active` (1 on the
 * active replica, 0 on a standby).
 */
import { hostname } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import { errors } from '../schemas/common.js';
import type { Api } from '../types.js';

export const ReplicaStatusSchema = z.object({
  replica: z.object({
    id: z.string().describe('this replica (--replica-id; default host:pid)'),
    role: z.enum(['active', 'standby', 'activating', 'demoting', 'stopped']).describe('active: runs the engine; standby: forwards requests to the active replica'),
    url: z.string().nullable().describe('where this replica answers (--advertise-url); null on SQLite'),
  }),
  active: z
    .object({
      id: z.string(),
      url: z.string().nullable(),
      epoch: z.number().int().describe('+1 on every new holding of the engine lease'),
      expiresAt: z.string().nullable().describe('when the lease runs out unless renewed (the database clock); null on SQLite'),
      acquiredAt: z.string().nullable(),
    })
    .nullable()
    .describe('the replica holding the engine lease now; null while none does (between a failure and the takeover)'),
  leaseMs: z.number().int().nullable().describe('the lease time (--lease-ms); null on SQLite'),
  store: z.enum(['sqlite', 'postgres']),
});
export type ReplicaStatus = z.infer<typeof ReplicaStatusSchema>;
export type ReplicaStatusSource = () => Promise<ReplicaStatus>;

/** A SQLite server: one process, always active. */
export function singleReplica(): ReplicaStatusSource {
  const id = `${hostname()}:${process.pid}`;
  return () => Promise.resolve({ replica: { id, role: 'active', url: null }, active: { id, url: null, epoch: 0, expiresAt: null, acquiredAt: null }, leaseMs: null, store: 'sqlite' });
}

export function replicaRoutes(app: Api, status: ReplicaStatusSource): void {
  app.get('/api/v1/system/replicas', {
    config: { scope: 'read' },
    schema: {
      summary: 'The replicas of this server: which one answered, its role, and the active one (the engine lease holder)',
      response: { 200: ReplicaStatusSchema, ...errors },
    },
    handler: () => status(),
  });
}

/** `slipway_replica_active`: 1 while this replica runs the engine. */
export function replicaGauge(active: () => boolean): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'slipway_replica_active',
    help: '1 on the replica that holds the engine lease and runs the engine, 0 on a standby',
    registers: [registry],
    collect() {
      this.set(active() ? 1 : 0);
    },
  });
  return registry;
}
