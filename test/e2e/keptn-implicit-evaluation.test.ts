/**
 * Keptn gives every stage an `evaluation` sequence: triggering `evaluation` in a stage whose
 * shipyard declares none runs exactly one `evaluation` task, and fires nothing downstream.
 */
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/core/index.js';
import { Recorder } from './support/recording-executor.js';
import { SHIPYARD, shipyard, slipwayHarness, trigger } from './support/slipway.js';
import { lines } from './support/timeline.js';
import { waitForQuiet, waitForRunFinished } from './support/wait.js';

const harness = slipwayHarness();

const CASES = [
  { file: SHIPYARD.queue, project: 'shipyard-echo-service', stage: 'dev' },
  { file: SHIPYARD.quickstart, project: 'shipyard-sockshop', stage: 'hardening' },
  { file: SHIPYARD.quickstart, project: 'shipyard-sockshop', stage: 'production' },
  { file: SHIPYARD.helmJes, project: 'shipyard-delivery', stage: 'qa' },
] as const;

const RESULTS: { result: Result; state: string }[] = [
  { result: 'pass', state: 'succeeded' },
  { result: 'warning', state: 'succeeded' },
  { result: 'fail', state: 'failed' },
];

describe('the implicit evaluation sequence', () => {
  it.each(CASES.flatMap((c) => RESULTS.map((r) => ({ ...c, ...r }))))(
    '$project: triggering `evaluation` in $stage runs one evaluation task ($result → $state)',
    async ({ file, project, stage, result, state }) => {
      const recorder = new Recorder({ result });
      const { sw } = await harness.open({ executors: recorder.executors() });
      const loaded = await sw.addPipelineFile(shipyard(file));
      expect(loaded.pipeline.stages.find((s) => s.name === stage)?.sequences.map((s) => s.name)).toContain('evaluation');

      const done = waitForRunFinished(sw, { stage, sequence: 'evaluation' });
      const { runId } = await trigger(sw, { project, stage, sequence: 'evaluation' });
      expect(await done).toMatchObject({ id: runId, state, result });
      await waitForQuiet(sw);

      expect(recorder.executions).toHaveLength(1);
      expect(recorder.executions[0]).toMatchObject({ stage, sequence: 'evaluation', task: 'evaluation', kind: 'evaluation', runId, attempt: 1, properties: {} });
      expect(await lines(sw.store, 'run.started', 'run.finished', 'task.triggered', 'task.finished')).toEqual([
        `${stage}/evaluation run.started`,
        `${stage}/evaluation/evaluation.triggered`,
        `${stage}/evaluation/evaluation.finished ${result}`,
        `${stage}/evaluation run.finished ${state}/${result}`,
      ]);
      // No shipyard here listens to `<stage>.evaluation.finished`: it is the only run.
      expect((await sw.store.listRuns({ project })).map((r) => r.id)).toEqual([runId]);
    },
  );
});
