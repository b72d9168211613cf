/**
 * startServer: what `slipway server` runs. Opens Slipway on the data directory, loads
 * projects (saved ones first, then `<data>/projects/*.yaml`, then files named on the
 * command line, so an explicit file wins), makes sure an admin token exists, and listens.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { openSlipway } from '../main.js';
import type { NotifyOptions } from '../notify/index.js';
import { secretLogHooks } from '../secrets/index.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { loadServerProjects } from './load-projects.js';
import { startReplicaServer, type ReplicaOptions } from './replicas/index.js';
import { parseStoreUrl } from '../store/index.js';
import { REDACT, buildServer } from './server.js';
import type { Api, PushOptions } from './types.js';

export interface ServerOptions {
  /** Kinds left to outside executors although a built-in one exists. */
  outsideKinds?: readonly string[];
  port: number;
  host: string;
  dataDir: string;
  /** The store when not `<dataDir>/slipway.db` (`--store`, SLIPWAY_STORE): `sqlite:<file>`, a directory, or `postgres://…`. */
  store?: string;
  /** Pipeline files to load (slipway.yaml or Keptn shipyards), project directories, Keptn SLO/SLI files. */
  files: string[];
  /** Names the Keptn project the files load as, where the shipyard's metadata.name differs. */
  project?: string;
  openRead: boolean;
  /** An admin token to accept (SLIPWAY_ADMIN_TOKEN). */
  adminToken?: string;
  log?: Logger;
  push?: Partial<PushOptions>;
  /** Where links in notifications point (`--public-url`); default: the address the server listens on. */
  publicUrl?: string;
  notify?: Partial<NotifyOptions>;
  /** On PostgreSQL: this replica's id, lease time and advertised URL (docs/operating.md, Replicas). */
  replica?: ReplicaOptions;
}

export interface RunningServer {
  app: Api;
  url: string;
  port: number;
  /** The bootstrap admin token file, when one was written. */
  adminTokenFile?: string;
  /** One line about the admin token for the start-up message (never the token). */
  adminTokenNote: string;
  /** Pipeline warnings, `file:line:col: …`. */
  warnings: string[];
  /** Stops taking requests, lets engine transactions finish, closes the store. */
  close(): Promise<void>;
  /** While `close()` runs: what it waits for now. */
  stopping(): string | undefined;
  /** On PostgreSQL: this replica's id and role at start, for the start-up message. */
  replicaNote?: string;
}

/** How long a stop lets HTTP requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 5_000;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? pino({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'info', redact: REDACT, hooks: secretLogHooks() }, pino.destination(2));
  const dataDir = resolve(opts.dataDir);
  // On PostgreSQL every server is a replica: one active, the others standbys (replicas/).
  if (opts.store !== undefined && parseStoreUrl(opts.store).kind === 'postgres') return startReplicaServer({ ...opts, store: opts.store, dataDir }, log);
  const slipway = await openSlipway({ dataDir, log, ...(opts.store ? { store: opts.store } : {}), ...(opts.outsideKinds ? { outsideKinds: opts.outsideKinds } : {}), ...(opts.notify ? { notify: opts.notify } : {}) });
  try {
    const warnings = await loadServerProjects(slipway, dataDir, opts.files, opts.project, log);
    const admin = await bootstrapAdmin(slipway.store, dataDir, opts.adminToken);
    const app = await buildServer({ slipway, openRead: opts.openRead, log, ...(opts.push ? { push: opts.push } : {}) });
    // What is still open when a stop waits (named in its progress lines), and cut after a grace period.
    const open = new Map<object, string>();
    app.server.on('request', (req, res) => {
      open.set(res, `${req.method ?? '?'} ${(req.url ?? '').split('?')[0]}`);
      res.on('close', () => open.delete(res));
    });
    await app.listen({ port: opts.port, host: opts.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : opts.port;
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    slipway.notifier.setPublicUrl(opts.publicUrl ?? `http://${host}:${port}`);
    let closing: Promise<void> | undefined;
    let phase: string | undefined;
    return {
      app,
      url: `http://${host}:${port}`,
      port,
      ...(admin.file ? { adminTokenFile: admin.file } : {}),
      adminTokenNote: admin.note,
      warnings,
      close: () =>
        (closing ??= (async () => {
          phase = 'HTTP requests in flight';
          // Streams and long polls end at once (preClose); a request still open after the grace period is cut.
          const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
          await app.close();
          clearTimeout(cut);
          phase = undefined;
          await slipway.close();
        })()),
      stopping: () => (phase !== undefined && open.size > 0 ? `${phase}: ${[...new Set(open.values())].slice(0, 5).join(', ')}` : (phase ?? slipway.stopping())),
    };
  } catch (e) {
    await slipway.close();
    throw e;
  }
}
