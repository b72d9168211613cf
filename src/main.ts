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
import { builtinExecutors } from './executors/index.js';
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
}

export interface Slipway {
  engine: Engine;
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
  const executors = [...builtinExecutors(), ...(opts.executors ?? [])];
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
      await store.close();
    },
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
