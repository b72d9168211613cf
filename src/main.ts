/**
 * The composition root: config → store → engine → executors. Nothing else wires
 * dependencies. The CLI's local `run` and (later) the server both start from here.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Pipeline } from './core/index.js';
import { SlipwayError } from './core/index.js';
import type { Clock, Executor } from './engine/index.js';
import { Engine } from './engine/index.js';
import { builtinExecutors, createDeployExecutor, createReleaseExecutor, createRestartExecutor } from './executors/index.js';
import type { DeployTarget } from './platform/index.js';
import { LocalPlatform } from './platform/local/index.js';
import { NginxTarget } from './platform/nginx/index.js';
import type { LoadedPipeline } from './spec/index.js';
import { loadPipeline } from './spec/index.js';
import type { Store } from './store/index.js';
import { openSqliteStore } from './store/index.js';

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
}

export interface Slipway {
  engine: Engine;
  /** The built-in local platform (processes behind weighted routers). */
  platform: LocalPlatform;
  store: Store;
  dataDir: string;
  executors: Executor[];
  /** Reads, validates and makes current a pipeline file; returns its warnings. */
  addPipelineFile(path: string): Promise<LoadedPipeline>;
  addPipelineText(text: string, origin: string, dir: string): Promise<LoadedPipeline>;
  close(): Promise<void>;
}

export async function openSlipway(opts: SlipwayOptions): Promise<Slipway> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const log = opts.log ?? pino({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'silent', redact: ['*.token', '*.headers', '*.authorization'] });
  const store = await openSqliteStore({ file: join(dataDir, 'slipway.db') });
  const platform = new LocalPlatform({ dataDir, log });
  await platform.start();
  let nginx: Promise<NginxTarget> | undefined;
  const targets = new Map<string, DeployTarget>([['local', platform], ['nginx', lazyTarget('nginx', () => (nginx ??= startNginx(dataDir)))]]);
  const byName = (name: string) => targets.get(name);
  const outside = new Set(opts.outsideKinds ?? []);
  const executors = [
    ...builtinExecutors(),
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
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.unservedKinds ? { unservedKinds: opts.unservedKinds } : {}),
    ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
  });
  const byKind = new Map(executors.map((e) => [e.kind, e]));

  const addPipelineText = async (text: string, origin: string, dir: string): Promise<LoadedPipeline> => {
    const loaded = loadPipeline(text, origin);
    checkProperties(loaded.pipeline, byKind);
    await engine.setPipeline(loaded.pipeline, { text, origin, dir });
    return loaded;
  };

  // Pipelines saved earlier stay current until a file or the API replaces them.
  for (const row of await store.latestPipelines()) {
    try {
      // A pipeline PUT through the API has no file: its relative paths resolve from the data directory.
      await addPipelineText(row.source, row.origin, row.origin.startsWith('api:') ? dataDir : dirname(resolve(row.origin)));
    } catch (e) {
      log.warn({ err: e, project: row.project }, 'a stored pipeline no longer loads; it is skipped');
    }
  }
  await engine.start();

  return {
    engine,
    platform,
    store,
    dataDir,
    executors,
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

/** Built-in executors check their task properties when the pipeline loads, not when the task runs. */
function checkProperties(p: Pipeline, executors: Map<string, Executor>): void {
  const problems: string[] = [];
  let first: { file?: string; line?: number; column?: number; field?: string } | undefined;
  for (const stage of p.stages) {
    for (const seq of stage.sequences) {
      for (const step of seq.steps) {
        for (const task of step.tasks) {
          for (const pr of executors.get(task.kind)?.validate?.(task.properties) ?? []) {
            const at = task.source ? `${task.source.file}:${task.source.line}:${task.source.column}: ` : '';
            problems.push(`${at}stage '${stage.name}', task '${task.name}' (${task.kind}): properties.${pr.field}: ${pr.message}`);
            first ??= { ...(task.source ?? {}), field: `properties.${pr.field}` };
          }
        }
      }
    }
  }
  if (problems.length > 0) throw new SlipwayError('SPEC_FIELD', problems.join('\n'), first ?? {});
}
