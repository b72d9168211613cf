/**
 * 02 quickstart shipyard, run end to end: hardening delivery (deployment → test →
 * evaluation) and, when `hardening.delivery.finished` fires, production delivery
 * (deployment → release). Keptn: a trigger without a selector fires on pass or warning only.
 */
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/core/index.js';
import { Recorder, resultsBy } from './support/recording-executor.js';
import { SHIPYARD, shipyard, slipwayHarness, trigger } from './support/slipway.js';
import { lines } from './support/timeline.js';
import { waitForQuiet, waitForRunFinished } from './support/wait.js';

const harness = slipwayHarness();
const PROJECT = 'shipyard-sockshop';

async function start(hardeningEvaluation: Result) {
  const recorder = new Recorder({ result: resultsBy({ 'hardening/evaluation': hardeningEvaluation }) });
  const { sw } = await harness.open({ executors: recorder.executors() });
  const loaded = await sw.addPipelineFile(shipyard(SHIPYARD.quickstart));
  expect(loaded.pipeline.name).toBe(PROJECT);
  return { sw, recorder };
}

describe('02 quickstart shipyard through the engine', () => {
  it.each(['pass', 'warning'] as const)('a release whose hardening evaluation gives %s goes on into production delivery', async (result) => {
    const { sw, recorder } = await start(result);
    const production = waitForRunFinished(sw, { stage: 'production', sequence: 'delivery' });
    const { releaseId } = await trigger(sw, { project: PROJECT, stage: 'hardening' });

    const prod = await production;
    expect(prod).toMatchObject({ releaseId, state: 'succeeded', result: 'pass' });
    await waitForQuiet(sw);

    expect(recorder.trail()).toEqual([
      'hardening/delivery/deployment',
      'hardening/delivery/test',
      'hardening/delivery/evaluation',
      'production/delivery/deployment',
      'production/delivery/release',
    ]);
    // Every task ran once, first attempt, for this release, with the shipyard's properties.
    expect(recorder.executions.every((e) => e.attempt === 1 && e.releaseId === releaseId && e.nth === 1)).toBe(true);
    expect(recorder.executions.map((e) => e.properties)).toEqual([
      { deploymentstrategy: 'user_managed' },
      { teststrategy: 'performance' },
      {},
      { deploymentstrategy: 'user_managed' },
      {},
    ]);

    expect(await lines(sw.store, 'run.queued', 'run.started', 'run.finished', 'task.triggered', 'task.finished')).toEqual([
      'hardening/delivery run.queued',
      'hardening/delivery run.started',
      'hardening/delivery/deployment.triggered',
      'hardening/delivery/deployment.finished pass',
      'hardening/delivery/test.triggered',
      'hardening/delivery/test.finished pass',
      'hardening/delivery/evaluation.triggered',
      `hardening/delivery/evaluation.finished ${result}`,
      `hardening/delivery run.finished succeeded/${result}`,
      // Queued in the same transaction that finished hardening: `hardening.delivery.finished` fired it.
      'production/delivery run.queued',
      'production/delivery run.started',
      'production/delivery/deployment.triggered',
      'production/delivery/deployment.finished pass',
      'production/delivery/release.triggered',
      'production/delivery/release.finished pass',
      'production/delivery run.finished succeeded/pass',
    ]);

    const runs = await sw.store.listRuns({ project: PROJECT });
    expect(runs.map((r) => `${r.stage}/${r.sequence} ${r.state}/${r.result}`).sort()).toEqual([
      `hardening/delivery succeeded/${result}`,
      'production/delivery succeeded/pass',
    ]);
    // Remediation listens only to its own `production.remediation.finished`: delivery never starts it.
    expect(runs.some((r) => r.sequence === 'remediation')).toBe(false);
  });

  it('a release whose hardening evaluation fails never reaches production', async () => {
    const { sw, recorder } = await start('fail');
    const hardening = waitForRunFinished(sw, { stage: 'hardening', sequence: 'delivery' });
    const { releaseId } = await trigger(sw, { project: PROJECT, stage: 'hardening' });

    expect(await hardening).toMatchObject({ releaseId, state: 'failed', result: 'fail' });
    await waitForQuiet(sw);

    expect(recorder.trail()).toEqual(['hardening/delivery/deployment', 'hardening/delivery/test', 'hardening/delivery/evaluation']);
    expect(await lines(sw.store, 'run.queued', 'run.started', 'run.finished', 'task.finished')).toEqual([
      'hardening/delivery run.queued',
      'hardening/delivery run.started',
      'hardening/delivery/deployment.finished pass',
      'hardening/delivery/test.finished pass',
      'hardening/delivery/evaluation.finished fail',
      'hardening/delivery run.finished failed/fail',
    ]);
    const runs = await sw.store.listRuns({ project: PROJECT });
    expect(runs.map((r) => `${r.stage}/${r.sequence} ${r.state}/${r.result}`)).toEqual(['hardening/delivery failed/fail']);
    expect(await sw.store.listRuns({ project: PROJECT, stage: 'production' })).toEqual([]);
  });

  it('a failing test stops hardening delivery before its evaluation, and production never starts', async () => {
    const recorder = new Recorder({ result: resultsBy({ 'hardening/test': 'fail' }) });
    const { sw } = await harness.open({ executors: recorder.executors() });
    await sw.addPipelineFile(shipyard(SHIPYARD.quickstart));
    const hardening = waitForRunFinished(sw, { stage: 'hardening' });
    await trigger(sw, { project: PROJECT, stage: 'hardening' });

    expect(await hardening).toMatchObject({ state: 'failed', result: 'fail' });
    await waitForQuiet(sw);
    expect(recorder.trail()).toEqual(['hardening/delivery/deployment', 'hardening/delivery/test']);
    expect(await lines(sw.store, 'task.finished', 'task.skipped')).toEqual([
      'hardening/delivery/deployment.finished pass',
      'hardening/delivery/test.finished fail',
      'hardening/delivery/evaluation.skipped',
    ]);
    expect(await sw.store.listRuns({ project: PROJECT, stage: 'production' })).toEqual([]);
  });
});
