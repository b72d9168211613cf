/**
 * The composition root: config → store → engine → executors. Nothing else wires
 * dependencies. The CLI's local `run` and (later) the server both start from here.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { SlipwayError } from './core/index.js';
import type { Clock, Executor } from './engine/index.js';
import { Engine, systemClock, testClockFromEnv } from './engine/index.js';
import { StoreHealth } from './engine/index.js';
import { createRouterSliProvider } from './evaluation/index.js';
import { builtinExecutors, createDeployExecutor, createFlagExecutor, createReleaseExecutor, createRestartExecutor } from './executors/index.js';
import { FlagBook } from './flags/index.js';
import { createLoadtestExecutor, createTrafficCompareExecutor } from './executors/index.js';
import type { DeployTarget } from './platform/index.js';
import { LocalPlatform } from './platform/local/index.js';
import { NginxTarget } from './platform/nginx/index.js';
import { Secrets, secretLogHooks } from './secrets/index.js';
import { freezeHold, nextFire } from './triggers/index.js';
import { AlarmWatcher } from './triggers/index.js';
import { GitWatcher, Webhooks } from './triggers/index.js';
import type { PullRequestSink } from './triggers/index.js';
import { Notifier, type NotifyOptions } from './notify/index.js';
import { PullRequestEnvironments } from './triggers/index.js';
import { withKeptnSlos } from './keptn-import/evaluation.js';
import type { KeptnProjectOptions, KindCatalog, LoadedPipeline, ParsedSource, PropertyCheck } from './spec/index.js';
import { keptnResourceKind, loadKeptnProjectDir, loadKeptnSli, loadKeptnSlo, loadParsedPipeline, parseSource } from './spec/index.js';
import type { CommitFence, Store } from './store/index.js';
import { lockDataDir, openSqliteStore, openStore } from './store/index.js';

export interface SlipwayOptions {
  /** Data directory: the SQLite file and per-task files live here. */
  dataDir: string;
  /** The store when not `<dataDir>/slipway.db`: `sqlite:<file>`, a directory, or `postgres://…` (docs/postgres.md). */
  store?: string;
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
  /** The pull-request environments webhooks hand pull and merge requests to; absent: they are answered and left alone. */
  pullRequests?: PullRequestSink;
  /** The git watcher's pace: how often it looks for projects due a poll (default 1 s), its longest back-off (default 30 min). */
  gitWatch?: { tickMs?: number; maxBackoffMs?: number };
  /** Notification delivery: tries, backoff, timeout, sinks at once (defaults in DEFAULT_NOTIFY). */
  notify?: Partial<NotifyOptions>;
  /** A replica holding the engine lease: every commit checks it (replicas: src/engine/leadership.ts). */
  fence?: { fence: CommitFence; leaseMs: number };
}

export interface AddOptions {
  /** The project's name where a Keptn shipyard's metadata.name differs. */
  project?: string;
}

export interface Slipway {
  /** While `close()` runs: what it waits for now, for a stop that takes long to say so. */
  stopping(): string | undefined;
  engine: Engine;
  /** The built-in local platform (processes behind weighted routers). */
  platform: LocalPlatform;
  store: Store;
  /** Whether the store answers (`GET /readyz`), and the log lines when it stops and comes back. */
  storeHealth: StoreHealth;
  dataDir: string;
  /** The clock the engine decides by (views that say "now", such as freeze status, read it too). */
  clock: Clock;
  executors: Executor[];
  /** Secrets by reference: names, sources and dates; values only for executors. */
  secrets: Secrets;
  /** Watch after success: the stages' alarm windows open now. */
  alarmWatch: AlarmWatcher;
  /** Webhooks (artifact, GitHub, GitLab) that make releases, and their deliveries. */
  webhooks: Webhooks;
  /** Polls repositories of projects with spec.repository.watch for new commits and tags. */
  gitWatch: GitWatcher;
  /** Notification sinks: the delivery queue, its status and test sends. */
  notifier: Notifier;
  /** Per-pull-request environments (stages pr-<n>); webhook adapters hand it their events. */
  pullRequests: PullRequestEnvironments;
  /** Feature flags as served over OFREP: every stage's committed rollouts, in memory. */
  flags: FlagBook;
  /**
   * Reads, validates and makes current a pipeline file (or the shipyard.yaml / slipway.yaml of a
   * project directory); returns its warnings. `project` names a Keptn project whose shipyard's
   * metadata.name differs (`--project sockshop`).
   */
  addPipelineFile(path: string, opts?: AddOptions): Promise<LoadedPipeline>;
  /**
   * Pipeline files and project directories, with Keptn SLO and SLI files among them: those are
   * validated and used by the evaluation tasks of the projects loaded with them wherever no
   * keptn/<stage>/<service>/slo.yaml exists. `notes` says what each SLO/SLI file became.
   */
  addProjectFiles(paths: readonly string[], opts?: AddOptions): Promise<{ loaded: LoadedPipeline[]; notes: string[] }>;
  /** `by`: who asked (recorded in the audit log). */
  addPipelineText(text: string, origin: string, dir: string, by?: string): Promise<LoadedPipeline>;
  close(): Promise<void>;
}

/** Opens Slipway on its data directory, which it holds alone (DATA_DIR_LOCKED names another holder). */
export async function openSlipway(opts: SlipwayOptions): Promise<Slipway> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  try {
    // End-to-end tests of a real server move its time through a file (test runs only, see file-clock.ts).
    const testClock = opts.clock ? undefined : testClockFromEnv(opts.env ?? process.env, (msg) => process.stderr.write(`slipway: ${msg}\n`));
    const slipway = await openLocked(testClock ? { ...opts, clock: testClock } : opts, dataDir);
    const close = slipway.close;
    return { ...slipway, close: async () => (await close(), lock.release()) };
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function openLocked(opts: SlipwayOptions, dataDir: string): Promise<Slipway> {
  const log = opts.log ?? pino({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'silent', redact: ['*.token', '*.headers', '*.authorization'], hooks: secretLogHooks() });
  // A replica (PostgreSQL) is fenced by its lease instead of holding the database alone.
  const replica = opts.fence ? { idleInTransactionMs: Math.max(1_000, opts.fence.leaseMs) } : undefined;
  const store: Store = opts.store ? await openStore(opts.store, { env: opts.env ?? process.env, exclusive: !replica, ...replica }) : await openSqliteStore({ file: join(dataDir, 'slipway.db') });
  if (opts.fence) store.setFence?.(opts.fence.fence);
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
  // slipway.keptn.yaml per project, and SLO/SLI files named beside a project on the command line.
  const keptnOptions = new Map<string, KeptnProjectOptions>();
  const fallbackSlos = new Map<string, { slo?: string; sli?: string }>();
  const builtin = [
    ...builtinExecutors({ evaluation: { router: routerSli } }),
    createDeployExecutor(byName),
    createReleaseExecutor(byName),
    createRestartExecutor(byName),
    // The flag task changes flags through the engine built below (it runs only once the engine dispatches).
    createFlagExecutor({ setFlag: (input): Promise<{ ignored?: string }> => engine.apply(input) }),
    createLoadtestExecutor({ targets: byName, traffic: platform }),
    createTrafficCompareExecutor({ targets: byName, traffic: platform }),
  ].map((e) =>
    e.kind === 'evaluation' ? withKeptnSlos(e, { prometheusUrl: (p) => keptnOptions.get(p)?.prometheus?.url, fallback: (p) => fallbackSlos.get(p) }) : e,
  );
  const added = new Set((opts.executors ?? []).map((e) => e.kind));
  const executors = [...builtin, ...(opts.executors ?? [])].filter((e) => !outside.has(e.kind));
  // Kinds Slipway's own executors serve: a Keptn task of such a name goes outside unless the project maps it (keptn-project.ts).
  const builtins = builtin.map((e) => e.kind).filter((k) => !outside.has(k) && !added.has(k));
  const engine = new Engine({
    store,
    executors,
    log,
    workDir: dataDir,
    secrets,
    freezeHold,
    scheduleNext: nextFire,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.unservedKinds ? { unservedKinds: opts.unservedKinds } : {}),
    ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
  });
  const notifier = new Notifier({ engine, store, secrets, clock: opts.clock ?? systemClock, log: log.child({ module: 'notify' }), ...(opts.notify ? { options: opts.notify } : {}) });
  // A stored pipeline with a kind nothing serves loads with a warning: it was accepted before kinds were checked.
  const load = async (text: string, origin: string, dir: string, unknown: 'error' | 'warn', name?: string, by?: string, parsed?: ParsedSource): Promise<LoadedPipeline> => {
    const project = loadKeptnProjectDir(dir);
    const keptn = { ...(project ? { project } : {}), ...(name !== undefined ? { name } : {}) };
    const loaded = loadParsedPipeline(parsed ?? parseSource(text, origin), { kinds: { ...kindCatalog(executors, [...outside], unknown), builtins }, keptn });
    if (project) keptnOptions.set(loaded.pipeline.name, project);
    await engine.setPipeline(loaded.pipeline, { text, origin, dir, ...(by !== undefined ? { by } : {}) });
    for (const st of loaded.pipeline.stages) platform.setRecording(loaded.pipeline.name, st.name, st.traffic?.record);
    notifier.kick(); // its sinks or freeze windows may have changed
    return loaded;
  };
  const addPipelineText = (text: string, origin: string, dir: string, by?: string): Promise<LoadedPipeline> => load(text, origin, dir, 'error', undefined, by);
  const addPipelineFile = (path: string, add: AddOptions = {}): Promise<LoadedPipeline> => {
    const file = projectFileOf(path);
    const text = readPipelineText(file);
    return load(text, file, dirname(resolve(file)), 'error', add.project);
  };

  // Pipelines saved earlier stay current until a file or the API replaces them.
  for (const row of await store.latestPipelines()) {
    try {
      // A pipeline PUT through the API has no file: its relative paths resolve from the data directory.
      // row.project keeps a name given with --project; a Slipway pipeline's is its own anyway.
      const { warnings } = await load(row.source, row.origin, row.origin.startsWith('api:') ? dataDir : dirname(resolve(row.origin)), 'warn', row.project);
      if (warnings.length > 0) log.warn({ project: row.project, warnings }, 'a stored pipeline loads with warnings');
    } catch (e) {
      log.warn({ err: e, project: row.project }, 'a stored pipeline no longer loads; it is skipped');
    }
  }
  await engine.start();
  // Served from memory: loaded from the recovered state, then kept by committed flag.changed events.
  const flags = new FlagBook({ pipeline: (p) => engine.pipeline(p), pipelines: () => engine.view.pipelines.values() });
  flags.load(engine.view.flags.values());
  engine.emitter.on('event', (ev) => flags.apply(ev));
  // Watch after success: started after the engine so it sees the recovered live table.
  let stopping: string | undefined;
  const alarmWatch = new AlarmWatcher({ engine, store, clock: opts.clock ?? systemClock, log });
  await alarmWatch.start();
  const clock = opts.clock ?? systemClock;
  const webhooks = new Webhooks({ engine, store, clock, log: log.child({ module: 'webhooks' }), secrets, ...(opts.pullRequests ? { pullRequests: opts.pullRequests } : {}) });
  const gitWatch = new GitWatcher({ engine, store, intake: webhooks.intake, clock, log: log.child({ module: 'git-watch' }), cacheDir: join(dataDir, 'git-watch'), ...opts.gitWatch });
  gitWatch.start();
  notifier.start();
  const storeHealth = new StoreHealth({ store, clock: opts.clock ?? systemClock, log: log.child({ module: 'store' }) });
  engine.emitter.on('store:error', (e) => storeHealth.failed(e));
  // After the engine and the platform: it tears down what expired while Slipway was down.
  const pullRequests = new PullRequestEnvironments({
    engine,
    platform,
    clock: opts.clock ?? systemClock,
    log,
    file: join(dataDir, 'platform', 'pull-requests.json'),
    secret: (reference) => {
      try {
        const v = secrets.resolve({ v: reference }, { id: 'pull-requests', name: 'forge-status', kind: 'pull-request' })['v'];
        return typeof v === 'string' ? v : undefined;
      } catch {
        return undefined;
      }
    },
  });
  await pullRequests.start();
  webhooks.usePullRequests(opts.pullRequests ?? pullRequests);

  return {
    engine,
    platform,
    store,
    storeHealth,
    dataDir,
    clock: opts.clock ?? systemClock,
    executors,
    secrets,
    alarmWatch,
    webhooks,
    gitWatch,
    notifier,
    pullRequests,
    flags,
    addPipelineText,
    addPipelineFile,
    async addProjectFiles(paths, add = {}) {
      const loaded: LoadedPipeline[] = [];
      const resources: { path: string; kind: 'SLO' | 'SLI' }[] = [];
      for (const path of paths) {
        const file = projectFileOf(path);
        const text = readPipelineText(file);
        // Parsed once: to tell a Keptn SLO or SLI file from a pipeline, then to load the pipeline.
        const parsed = parseSource(text, file);
        const kind = parsed.problems.length === 0 ? keptnResourceKind(parsed.source.value) : undefined;
        if (kind === undefined) loaded.push(await load(text, file, dirname(resolve(file)), 'error', add.project, undefined, parsed));
        else {
          // Validated now, so a bad SLO fails the start, not the evaluation an hour later.
          if (kind === 'SLO') loadKeptnSlo(text, file);
          else loadKeptnSli(text, file);
          resources.push({ path: resolve(file), kind });
        }
      }
      const notes: string[] = [];
      for (const r of resources) {
        if (loaded.length === 0) {
          throw new SlipwayError('SPEC_FILE', `${r.path}: a Keptn ${r.kind} file needs a shipyard beside it on the command line; name the shipyard (or the project directory) too`, { file: r.path });
        }
        for (const l of loaded) {
          const entry = fallbackSlos.get(l.pipeline.name) ?? {};
          fallbackSlos.set(l.pipeline.name, { ...entry, [r.kind === 'SLO' ? 'slo' : 'sli']: r.path });
        }
        notes.push(`${r.path}: Keptn ${r.kind} file for ${loaded.map((l) => l.pipeline.name).join(', ')}: evaluation tasks use it in every stage and service without its own keptn/<stage>/<service>/${r.kind.toLowerCase()}.yaml`);
      }
      return { loaded, notes };
    },
    stopping: () => stopping,
    async close() {
      alarmWatch.stop();
      gitWatch.stop();
      pullRequests.stop();
      routerSli.stop();
      stopping = 'notification deliveries in flight';
      await notifier.stop();
      stopping = 'the engine (its last transaction and executors in flight)';
      await engine.stop();
      // Deployed versions keep serving while Slipway is down; the next start adopts them.
      stopping = 'the local platform (its routers; deployed processes keep running)';
      await platform.close({ leaveRunning: true });
      stopping = 'nginx';
      if (nginx) await (await nginx).close({ leaveRunning: true });
      stopping = 'the store';
      storeHealth.close();
      await store.close();
      stopping = undefined;
    },
  };
}

/** A project directory stands for its shipyard.yaml (or slipway.yaml); a file for itself. */
function projectFileOf(path: string): string {
  let dir = false;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    return path; // reading it names the problem
  }
  if (!dir) return path;
  for (const name of ['shipyard.yaml', 'slipway.yaml', 'shipyard.yml', 'slipway.yml']) {
    const file = join(path, name);
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      // not this one
    }
  }
  throw new SlipwayError('SPEC_FILE', `${path}: a project directory needs a shipyard.yaml or slipway.yaml; neither is there`, { file: path });
}

function readPipelineText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new SlipwayError('SPEC_FILE', `${path}: cannot read the pipeline file: ${(e as Error).message}`, { file: path }, { cause: e });
  }
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
