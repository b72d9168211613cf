/**
 * A real Slipway per test: a fresh temp directory with its own SQLite file, opened through
 * the composition root and closed (and removed) after the test.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { Artifacts } from '../../../src/core/index.js';
import type { Clock, Executor } from '../../../src/engine/index.js';
import { openSlipway } from '../../../src/main.js';
import { storeOptionFor } from './e2e-store.js';
import type { Slipway } from '../../../src/main.js';

/** The Keptn files shared by the project, read in place (never copied, never edited). */
export const KEPTN_DIR =
  process.env['SLIPWAY_KEPTN_CONFORMANCE'] ?? fileURLToPath(new URL('../../conformance/keptn/shipyards/', import.meta.url));

export const shipyard = (file: string): string => join(KEPTN_DIR, file);

export const SHIPYARD = {
  quickstart: '02_examples_quickstart_demo_shipyard.yaml',
  approvals: '04_keptn_test_deliveryassistant_approval_shipyard.yaml',
  queue: '05_keptn_test_sequencequeue_customtasks_shipyard.yaml',
  helmJes: '06_artifacthub_helm-jes_qa-prod-approval_shipyard.yaml',
  invalidIndent: '07_spec_shipyard-md_example_INVALID-INDENT.yaml',
} as const;

export interface OpenOptions {
  executors?: Executor[];
  clock?: Clock;
}

export interface Opened {
  sw: Slipway;
  dir: string;
}

/** Call at collection time (inside a describe or at module level): every Slipway opened is closed after each test. */
export function slipwayHarness(): { open(opts?: OpenOptions): Promise<Opened> } {
  const opened: Opened[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.sw.close();
      await rm(o.dir, { recursive: true, force: true });
    }
  });
  return {
    async open(opts = {}) {
      const dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-keptn-'));
      // SLIPWAY_TEST_STORE=postgres: a database of its own (dropped at the run's end).
      const store = await storeOptionFor(dir);
      // `fail`: a kind nobody serves fails the task at once instead of hanging the test.
      const sw = await openSlipway({
        dataDir: dir,
        unservedKinds: 'fail',
        ...store,
        ...(opts.executors ? { executors: opts.executors } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
      const o = { sw, dir };
      opened.push(o);
      return o;
    },
  };
}

export interface TriggerOptions {
  project: string;
  stage?: string;
  sequence?: string;
  artifacts?: Artifacts;
}

/** Hands a release to the project (Keptn: sends `<stage>.<sequence>.triggered`). */
export async function trigger(sw: Slipway, o: TriggerOptions): Promise<{ releaseId: string; runId: string }> {
  const d = await sw.engine.apply({
    type: 'trigger',
    id: randomUUID(),
    by: 'test',
    project: o.project,
    artifacts: o.artifacts ?? { carts: 'docker.io/keptnexamples/carts:0.13.1' },
    ...(o.stage !== undefined ? { stage: o.stage } : {}),
    ...(o.sequence !== undefined ? { sequence: o.sequence } : {}),
  });
  const { releaseId, runId } = d.value ?? {};
  if (releaseId === undefined || runId === undefined) throw new Error(`trigger gave no run: ${d.ignored ?? 'no reason'}`);
  return { releaseId, runId };
}

/** Answers a waiting task (`approve`, `reject`, …). */
export async function signal(sw: Slipway, taskId: string, name: string, by = 'alice'): Promise<void> {
  await sw.engine.apply({ type: 'task.signal', id: randomUUID(), taskId, signal: name, by });
}
