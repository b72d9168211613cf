/**
 * The composition root: config → store → engine → executors. Nothing else wires
 * dependencies. The CLI's local `run` and (later) the server both start from here.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { SlipwayError } from './core/index.js';
import type { Clock, Executor } from './engine/index.js';
import { Engine, systemClock } from './engine/index.js';
import { createRouterSliProvider } from './evaluation/index.js';
import { builtinExecutors, createDeployExecutor, createReleaseExecutor, createRestartExecutor } from './executors/index.js';
import type { DeployTarget } from './platform/index.js';
import { LocalPlatform } from './platform/local/index.js';
import { NginxTarget } from './platform/nginx/index.js';
import { Secrets, secretLogHooks } from './secrets/index.js';
import { freezeHold } from './triggers/index.js';
import { AlarmWatcher } from './triggers/index.js';
import type { KindCatalog, LoadedPipeline, PropertyCheck } from './spec/index.js';
import { loadPipeline } from './spec/index.js';
import type { Store } from './store/index.js';
import { lockDataDir, openSqliteStore } from './store/index.js';

export interface SlipwayOptions {
  /** Data directory: the SQLite file and per-task files live here. */
  dataDir: string;
  clock?: Clock;
  log?: Logger;
  /** Executors beyond the built-in ones (tests, embedders). */
  executors?: Executor[];
  unservedKinds?: 'fail' | 'wait';
  maxBatch?: number;
  /**
   * Kinds left to outside executors even though Slipway has a built-in one (e.g. `release`
   * when a Keptn shipyard's release tasks are served by your own executor).
   */
  outsideKinds?: readonly string[];
  /** Where `SLIPWAY_SECRET_<NAME>` and SLIPWAY_SECRET_KEY are read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface Slipway {
  engine: Engine;
  /** The built-in local platform (processes behind weighted routers). */
  platform: LocalPlatform;
  store: Store;
  dataDir: string;
  /** The clock the engine decides by (views that say "now", such as freeze status, read it too). */
  clock: Clock;
  executors: Executor[];
  /** Secrets by reference: names, sources and dates; values only for executors. */
  secrets: Secrets;
  /** Watch after success: the stages' alarm windows open now. */
  alarmWatch: AlarmWatcher;
  /** Reads, validates and makes current a pipeline file; returns its warnings. */
  addPipelineFile(path: string): Promise<LoadedPipeline>;
  addPipelineText(text: string, origin: string, dir: string): Promise<LoadedPipeline>;
  close(): Promise<void>;
}

/** Opens Slipway on its data directory, which it holds alone (DATA_DIR_LOCKED names another holder). */
export async function openSlipway(opts: SlipwayOptions): Promise<Slipway> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  try {
    const slipway = await openLocked(opts, dataDir);
    const close = slipway.close;
    return { ...slipway, close: async () => (await close(), lock.release()) };
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function openLocked(opts: SlipwayOptions, dataDir: string): Promise<Slipway> {
  const log = opts.log ?? pino({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'silent', redact: ['*.token', '*.headers', '*.authorization'], hooks: secretLogHooks() });
  const store = await openSqliteStore({ file: join(dataDir, 'slipway.db') });
  const secrets = await Secrets.open({ store, dataDir, log, now: () => (opts.clock ?? systemClock).now(), ...(opts.env ? { env: opts.env } : {}) }).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  const platform = new LocalPlatform({ dataDir, log });
  await platform.start();
  // The evaluation task's `provider: router`: the router's own series, sampled while Slipway runs.
  const routerSli = createRouterSliProvider({ registry: platform.registry, now: () => (opts.clock ?? systemClock).now() });
  routerSli.start();
  let nginx: Promise<NginxTarget> | undefined;
  const targets = new Map<string, DeployTarget>([['local', platform], ['nginx', lazyTarget('nginx', () => (nginx ??= startNginx(dataDir)))]]);
  const byName = (name: string) => targets.get(name);
  const outside = new Set(opts.outsideKinds ?? []);
  const executors = [
    ...builtinExecutors({ evaluation: { router: routerSli } }),
    createDeployExecutor(byName),
    createReleaseExecutor(byName),
    createRestartExecutor(byName),
    ...(opts.executors ?? []),
  ].filter((e) => !outside.has(e.kind));
  const engine = new Engine({
    store,
    executors,
    log,
    workDir: dataDir,
    secrets,
    freezeHold,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.unservedKinds ? { unservedKinds: opts.unservedKinds } : {}),
    ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
  });
  // A stored pipeline with a kind nothing serves loads with a warning: it was accepted before kinds were checked.
  const load = async (text: string, origin: string, dir: string, unknown: 'error' | 'warn'): Promise<LoadedPipeline> => {
    const loaded = loadPipeline(text, origin, { kinds: kindCatalog(executors, [...outside], unknown) });
    await engine.setPipeline(loaded.pipeline, { text, origin, dir });
    return loaded;
  };
  const addPipelineText = (text: string, origin: string, dir: string): Promise<LoadedPipeline> => load(text, origin, dir, 'error');

  // Pipelines saved earlier stay current until a file or the API replaces them.
  for (const row of await store.latestPipelines()) {
    try {
      // A pipeline PUT through the API has no file: its relative paths resolve from the data directory.
      const { warnings } = await load(row.source, row.origin, row.origin.startsWith('api:') ? dataDir : dirname(resolve(row.origin)), 'warn');
      if (warnings.length > 0) log.warn({ project: row.project, warnings }, 'a stored pipeline loads with warnings');
    } catch (e) {
      log.warn({ err: e, project: row.project }, 'a stored pipeline no longer loads; it is skipped');
    }
  }
  await engine.start();
  // Watch after success: started after the engine so it sees the recovered live table.
  const alarmWatch = new AlarmWatcher({ engine, store, clock: opts.clock ?? systemClock, log });
  await alarmWatch.start();

  return {
    engine,
    platform,
    store,
    dataDir,
    clock: opts.clock ?? systemClock,
    executors,
    secrets,
    alarmWatch,
    addPipelineText,
    async addPipelineFile(path) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new SlipwayError('SPEC_FILE', `${path}: cannot read the pipeline file: ${(e as Error).message}`, { file: path }, { cause: e });
      }
      return addPipelineText(text, path, dirname(resolve(path)));
    },
    async close() {
      alarmWatch.stop();
      routerSli.stop();
      await engine.stop();
      // Deployed versions keep serving while Slipway is down; the next start adopts them.
      await platform.close({ leaveRunning: true });
      if (nginx) await (await nginx).close({ leaveRunning: true });
      await store.close();
    },
  };
}

async function startNginx(dataDir: string): Promise<NginxTarget> {
  const t = new NginxTarget({ dataDir });
  await t.start();
  return t;
}

/** A target started on first use (nginx runs only for pipelines that deploy to it). */
function lazyTarget(name: string, get: () => Promise<DeployTarget>): DeployTarget {
  let ready: DeployTarget | undefined;
  const use = async () => (ready ??= await get());
  return {
    name,
    deploy: async (k, slot, v, signal) => (await use()).deploy(k, slot, v, signal),
    setWeights: async (k, w, m) => (await use()).setWeights(k, w, m),
    retire: async (k, slot, after) => (await use()).retire(k, slot, after),
    status: async (k) => (await use()).status(k),
    traffic: (k, slot) => ready?.traffic(k, slot) ?? { requests: 0, errors: 0 },
    close: async (o) => ready?.close(o),
  };
}

/**
 * What the spec loader checks task kinds against: the kinds executors in this process serve
 * (with their property checks, so a bad property fails the load, not the run) and those the
 * server leaves to outside executors.
 */
function kindCatalog(executors: readonly Executor[], outside: readonly string[], unknown: 'error' | 'warn'): KindCatalog {
  const served = new Map<string, PropertyCheck>(executors.map((e) => [e.kind, (props) => e.validate?.(props) ?? []]));
  return { served, outside, unknown };
}
