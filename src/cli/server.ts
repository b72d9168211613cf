/**
 * `slipway server [FILES...]`: the API, the engine and the outside-executor endpoints in
 * one process on a data directory. Prints the URL and where the admin token is (never the
 * token). SIGTERM or SIGINT: stop taking requests, let engine transactions finish, exit
 * 0; whatever was in flight resumes on the next start.
 */
import type { Command } from 'commander';
import { SlipwayError } from '../core/index.js';
import type { StoreTarget } from '../store/index.js';
import { boundHeapGrowth } from './heap.js';

interface ServerCliOptions {
  port: string;
  host: string;
  data: string;
  store?: string;
  openRead?: boolean;
  outsideKinds?: string;
  project?: string;
  publicUrl?: string;
  leaseMs?: string;
  advertiseUrl?: string;
  replicaId?: string;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('serve the HTTP API (and run releases) on a data directory')
    .argument('[files...]', 'pipeline files to load (slipway.yaml or Keptn shipyards), project directories, Keptn slo.yaml/sli.yaml; <data>/projects/*.yaml load too')
    .option('--project <name>', "the Keptn project's name where the shipyard's metadata.name differs (e.g. sockshop)")
    .option('--port <n>', 'port to listen on (0: any free port)', process.env['SLIPWAY_PORT'] ?? '7300')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--data <dir>', 'data directory', process.env['SLIPWAY_DATA'] ?? '.slipway')
    .option('--store <url>', "the store, when not <data>/slipway.db: postgres://user:password@host:5432/db[?pool=N], sqlite:<file> or a directory (docs/postgres.md)", process.env['SLIPWAY_STORE'])
    .option('--open-read', 'allow reads without a token')
    .option('--public-url <url>', 'the URL people reach this server at, for links in notifications (default: the listen address)', process.env['SLIPWAY_PUBLIC_URL'])
    .option('--outside-kinds <kinds>', 'comma list of task kinds left to outside executors although Slipway has a built-in one (e.g. release)', process.env['SLIPWAY_OUTSIDE_KINDS'])
    .option('--lease-ms <ms>', 'PostgreSQL replicas: how long the active replica holds the engine lease without renewing it (failover time)', process.env['SLIPWAY_LEASE_MS'] ?? '5000')
    .option('--advertise-url <url>', 'PostgreSQL replicas: where the other replicas reach this one (default http://<host>:<port>)', process.env['SLIPWAY_ADVERTISE_URL'])
    .option('--replica-id <id>', 'PostgreSQL replicas: this replica\'s name (default <hostname>:<pid>)', process.env['SLIPWAY_REPLICA_ID'])
    .action(async (files: string[], opts: ServerCliOptions) => {
      await serve(files, opts);
    });
}

async function serve(files: string[], opts: ServerCliOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SlipwayError('INVALID_INPUT', `--port must be a number from 0 to 65535, got '${opts.port}'`, { field: 'port' });
  }
  const adminToken = process.env['SLIPWAY_ADMIN_TOKEN'];
  const publicUrl = checkPublicUrl(opts.publicUrl);
  boundHeapGrowth();
  // Loaded here, not at the top: other commands start without the server, fastify and the store (fast start).
  const { startServer } = await import('../api/index.js');
  const { parseStoreUrl } = await import('../store/index.js');
  const server = await startServer({
    port,
    host: opts.host,
    dataDir: opts.data,
    ...(opts.store ? { store: opts.store } : {}),
    files,
    openRead: opts.openRead === true,
    ...(opts.project !== undefined ? { project: opts.project } : {}),
    ...(opts.outsideKinds ? { outsideKinds: opts.outsideKinds.split(',').map((k) => k.trim()).filter(Boolean) } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(publicUrl ? { publicUrl } : {}),
    ...notifyTuning(),
    replica: replicaOptions(opts),
  });
  const say = (line: string) => process.stderr.write(`${line}\n`);
  for (const w of server.warnings) say(`warning: ${w}`);
  // Before the listening line, which tests and scripts wait for.
  if (opts.store) say(`store: ${storeLabel(parseStoreUrl(opts.store))}`);
  if (server.replicaNote) say(server.replicaNote);
  say(`slipway server listening on ${server.url} (API under ${server.url}/api/v1, docs at ${server.url}/api/v1/docs)`);
  say(`dashboard: ${server.url}/ (${opts.openRead ? 'anyone here may look; sign in with a token to act' : 'sign in by pasting a token'})`);
  say(server.adminTokenNote);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping (finishing engine transactions)`);
    // A stop that takes long says what it waits for; one that hangs must not keep the process alive forever.
    setInterval(() => say(`still stopping: waiting for ${server.stopping() ?? 'the last step'}`), 5_000).unref();
    setTimeout(() => {
      say(`slipway: gave up stopping after 20 s, while waiting for ${server.stopping() ?? 'the last step'}`);
      process.exit(1);
    }, 20_000).unref();
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        say(`slipway: stopping failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Where the store is, for the start-up message (a PostgreSQL password is never shown). */
function storeLabel(target: StoreTarget): string {
  return target.kind === 'postgres' ? `PostgreSQL at ${target.where}, pool of ${target.pool} connections` : `SQLite file ${target.file}`;
}

/** An absolute http(s) URL, without a trailing slash; undefined when not given. */
function checkPublicUrl(value: string | undefined, option = '--public-url'): string | undefined {
  if (value === undefined || value === '') return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new SlipwayError('INVALID_INPUT', `${option} must be an absolute URL such as https://slipway.example.com, got '${value}'`, { field: option.slice(2) });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SlipwayError('INVALID_INPUT', `${option} must be an http or https URL, got '${value}'`, { field: option.slice(2) });
  return value.replace(/\/+$/, '');
}

/** A whole number of milliseconds from the environment variable `name`; undefined when unset or empty. */
function envMillis(name: string, range?: { min: number; max: number; usual: number }): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (range?.min ?? 1) || n > (range?.max ?? Infinity)) {
    const within = range ? ` from ${range.min} to ${range.max}` : '';
    throw new SlipwayError('INVALID_INPUT', `${name} must be a whole number of milliseconds${within}, got '${v}'${range ? `; ${range.usual} is the default` : ''}`, { field: name });
  }
  return n;
}

/** SLIPWAY_NOTIFY_TIMEOUT_MS and SLIPWAY_NOTIFY_RETRY_MS (the first retry's delay): tuning for slow receivers and tests. */
function notifyTuning(): { notify?: { timeoutMs?: number; baseDelayMs?: number } } {
  const timeoutMs = envMillis('SLIPWAY_NOTIFY_TIMEOUT_MS');
  const baseDelayMs = envMillis('SLIPWAY_NOTIFY_RETRY_MS');
  if (timeoutMs === undefined && baseDelayMs === undefined) return {};
  return { notify: { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(baseDelayMs !== undefined ? { baseDelayMs } : {}) } };
}

/** --lease-ms, --advertise-url, --replica-id (used on PostgreSQL only). */
function replicaOptions(opts: ServerCliOptions): { leaseMs: number; advertiseUrl?: string; id?: string; forwardTimeoutMs?: number } {
  const leaseMs = Number(opts.leaseMs ?? '5000');
  if (!Number.isInteger(leaseMs) || leaseMs < 100 || leaseMs > 600_000) {
    throw new SlipwayError('INVALID_INPUT', `--lease-ms (or SLIPWAY_LEASE_MS) must be a whole number of milliseconds from 100 to 600000, got '${opts.leaseMs}'; 5000 is the default`, { field: 'lease-ms' });
  }
  const advertiseUrl = opts.advertiseUrl ? checkPublicUrl(opts.advertiseUrl, '--advertise-url') : undefined;
  // SLIPWAY_FORWARD_TIMEOUT_MS: how long a standby waits on the active replica (docs/operating.md#replicas).
  const forwardTimeoutMs = envMillis('SLIPWAY_FORWARD_TIMEOUT_MS', { min: 1000, max: 3_600_000, usual: 60_000 });
  return { leaseMs, ...(advertiseUrl ? { advertiseUrl } : {}), ...(opts.replicaId ? { id: opts.replicaId } : {}), ...(forwardTimeoutMs !== undefined ? { forwardTimeoutMs } : {}) };
}
