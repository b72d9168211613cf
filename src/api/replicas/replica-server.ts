/**
 * `slipway server --store postgres://…`: one replica among several on the same database.
 * It listens at once and starts as a standby (standby-app.ts forwards to the active one);
 * when it holds the engine lease (src/engine/leadership.ts) it opens Slipway as a restart
 * does (recovered state, in-flight tasks re-dispatched with the same ids, timers, notifier,
 * git watcher, schedules, alarm watch) and answers with the whole API. On losing the lease
 * it stops all of that and forwards again.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { SlipwayError } from '../../core/index.js';
import { ENGINE_LEASE, Leadership } from '../../engine/index.js';
import { openSlipway, type Slipway } from '../../main.js';
import type { NotifyOptions } from '../../notify/index.js';
import { openStore, type CommitFence, type Lease } from '../../store/index.js';
import { bootstrapAdmin } from '../auth/bootstrap.js';
import { clientError, refuseConnect } from '../errors.js';
import { loadServerProjects } from '../load-projects.js';
import { replicaGauge, type ReplicaStatus } from '../routes/replicas.js';
import { buildServer } from '../server.js';
import type { Api, PushOptions } from '../types.js';
import { buildStandbyApp, type ForwardTarget } from './standby-app.js';

export const DEFAULT_LEASE_MS = 5_000;
export const DEFAULT_FORWARD_TIMEOUT_MS = 60_000;
const CLOSE_GRACE_MS = 5_000;

export interface ReplicaOptions {
  /** Default `<hostname>:<pid>`. */
  id?: string;
  /** Default 5000. */
  leaseMs?: number;
  /** Default `http://<listen host>:<port>`. */
  advertiseUrl?: string;
  /** Default 60000: how long a standby waits on the active replica for a forwarded request (standby-app.ts). */
  forwardTimeoutMs?: number;
}

export interface ReplicaServerOptions {
  port: number;
  host: string;
  /** Resolved. */
  dataDir: string;
  store: string;
  files: readonly string[];
  project?: string;
  openRead: boolean;
  adminToken?: string;
  outsideKinds?: readonly string[];
  push?: Partial<PushOptions>;
  publicUrl?: string;
  notify?: Partial<NotifyOptions>;
  replica?: ReplicaOptions;
}

interface Active {
  slipway: Slipway;
  app: Api;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function startReplicaServer(opts: ReplicaServerOptions, log: Logger) {
  const id = opts.replica?.id ?? `${hostname()}:${process.pid}`;
  const ttlMs = opts.replica?.leaseMs ?? DEFAULT_LEASE_MS;
  await mkdir(opts.dataDir, { recursive: true });
  // The replica's own small connection: the lease, LISTEN, and the tokens a standby checks.
  const store = await openStore(opts.store, { env: process.env });
  if (!store.leases) {
    await store.close();
    throw new SlipwayError('NOT_SUPPORTED', `the store ${opts.store.split('@').pop() ?? ''} has no leases; replicas need PostgreSQL`);
  }
  const book = store.leases;
  let active: Active | undefined;
  let opening: Promise<unknown> = Promise.resolve();
  // eslint-disable-next-line prefer-const -- the leadership needs the advertised URL, known once listening
  let leadership: Leadership | undefined;
  const warnings: string[] = [];

  const admin = await bootstrapAdmin(store, opts.dataDir, opts.adminToken).catch(async (e: unknown) => {
    // Replicas starting together may both add the admin token: the second finds it there.
    if (e instanceof SlipwayError && e.code === 'ALREADY_EXISTS') return bootstrapAdmin(store, opts.dataDir, opts.adminToken);
    await store.close();
    throw e;
  });

  const status = async (): Promise<ReplicaStatus> => {
    const view = await book.read(ENGINE_LEASE);
    const l = view.lease;
    const live = l !== undefined && l.expiresAt > view.now;
    return {
      replica: { id, role: leadership?.role ?? 'standby', url: advertise },
      active: live ? { id: l.holder, url: l.url, epoch: l.epoch, expiresAt: iso(l.expiresAt), acquiredAt: iso(l.acquiredAt) } : null,
      leaseMs: ttlMs,
      store: 'postgres',
    };
  };
  const target = (): ForwardTarget => {
    const role = leadership?.role ?? 'standby';
    if (role === 'activating') return { unavailable: `this replica is taking over the engine (recovering its state); try again in a moment` };
    if (role === 'demoting' || role === 'stopped') return { unavailable: `this replica is stepping down; try again in a moment` };
    const seen = leadership?.activeLease();
    if (!seen) return { unavailable: `no replica has taken the engine lease yet (this one tries every ${Math.min(ttlMs, 2_000)} ms)` };
    const { lease, live } = seen;
    if (!live) return { unavailable: `the engine lease held by '${lease.holder}' expired at ${iso(lease.expiresAt)}; a standby is taking it over (within ${ttlMs} ms)` };
    if (lease.holder === id) return { unavailable: `this replica's own lease (epoch ${lease.epoch}) is ending; a standby takes over by ${iso(lease.expiresAt)}` };
    return { url: lease.url.replace(/\/+$/, ''), holder: lease.holder, expiresAt: lease.expiresAt };
  };
  const registry = replicaGauge(() => leadership?.role === 'active');
  const standby = await buildStandbyApp({ id, log, store, openRead: opts.openRead, target, refresh: () => leadership?.refresh() ?? Promise.resolve(), status, registry, forwardTimeoutMs: opts.replica?.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS });
  await standby.ready();

  // One listener; each request goes to the app of the role this replica has when it arrives.
  const open = new Map<object, string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-slipway-replica', id);
    open.set(res, `${req.method ?? '?'} ${(req.url ?? '').split('?')[0]}`);
    res.on('close', () => open.delete(res));
    (active?.app ?? standby).routing(req, res);
  });
  // What fastify does on its own listener: requests Node's parser refuses (headers too large,
  // malformed) and CONNECT are answered in the registry's shape, not dropped.
  server.on('clientError', clientError);
  refuseConnect(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  const advertise = (opts.replica?.advertiseUrl ?? url).replace(/\/+$/, '');

  const onActive = (lease: Lease, fence: CommitFence): Promise<void> => {
    const step = (async () => {
      const slipway = await openSlipway({
        dataDir: opts.dataDir,
        log,
        store: opts.store,
        fence: { fence, leaseMs: ttlMs },
        ...(opts.outsideKinds ? { outsideKinds: opts.outsideKinds } : {}),
        ...(opts.notify ? { notify: opts.notify } : {}),
      });
      try {
        warnings.splice(0, warnings.length, ...(await loadServerProjects(slipway, opts.dataDir, opts.files, opts.project, log)));
        const app = await buildServer({ slipway, openRead: opts.openRead, log, replicas: status, registries: [registry], ...(opts.push ? { push: opts.push } : {}) });
        await app.ready();
        slipway.notifier.setPublicUrl(opts.publicUrl ?? advertise);
        active = { slipway, app };
        log.info({ replica: id, epoch: lease.epoch }, 'this replica answers with the whole API now');
      } catch (e) {
        await slipway.close();
        throw e;
      }
    })();
    opening = step.catch(() => undefined);
    return step;
  };
  const onStandby = async (): Promise<void> => {
    await opening;
    const was = active;
    // New requests go to the standby app (forwarded) from here on.
    active = undefined;
    if (!was) return;
    // Streams and long polls end first (preClose), so closing never waits on a client.
    await was.app.close();
    await was.slipway.close();
  };
  leadership = new Leadership({ book, id, url: advertise, ttlMs, log, onActive, onStandby });
  try {
    await leadership.start();
  } catch (e) {
    await leadership.close();
    server.close();
    await store.close();
    throw e;
  }

  let closing: Promise<void> | undefined;
  let phase: string | undefined;
  const lead = leadership;
  return {
    app: standby,
    url,
    port,
    ...(admin.file ? { adminTokenFile: admin.file } : {}),
    adminTokenNote: admin.note,
    warnings,
    replicaNote: `replica ${id} (advertised at ${advertise}, lease ${ttlMs} ms): ${lead.role === 'active' ? 'active' : `standby, forwarding to ${lead.activeLease()?.lease.holder ?? 'the active replica'}`}`,
    close: () =>
      (closing ??= (async () => {
        // No new connections; a request still open after the grace period is cut.
        const drained = new Promise<void>((r) => server.close(() => r()));
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        // The engine stops (its last commits land; event streams and long polls end with the API), then the
        // lease is released: a standby takes over at once.
        phase = 'the engine (its last transaction and executors in flight)';
        await lead.close();
        phase = 'HTTP requests in flight';
        await standby.close();
        await drained;
        clearTimeout(cut);
        phase = undefined;
        await store.close();
      })()),
    // Requests still open are named first: they are what a slow stop most often waits for.
    stopping: () => (phase !== undefined && open.size > 0 ? `HTTP requests in flight: ${[...new Set(open.values())].slice(0, 5).join(', ')}` : phase),
  };
}
