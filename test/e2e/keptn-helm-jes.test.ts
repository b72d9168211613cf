/**
 * 06 helm-jes shipyard, run end to end: qa delivery; on pass or warning production delivery
 * (manual approval, then deployment); on fail qa's `rollback` sequence (selector
 * `result: fail`). Production remediation runs only when triggered, and its evaluation
 * waits `triggeredAfter: 2m` on the injected clock.
 */
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/core/index.js';
import { eventTypes } from '../../src/core/index.js';
import { FakeClock } from '../../src/engine/index.js';
import { Recorder, resultsBy } from './support/recording-executor.js';
import { SHIPYARD, shipyard, signal, slipwayHarness, trigger } from './support/slipway.js';
import type { Opened } from './support/slipway.js';
import { lines } from './support/timeline.js';
import { waitForEvent, waitForQuiet, waitForRunFinished, waitForTaskWaiting } from './support/wait.js';

const harness = slipwayHarness();
const PROJECT = 'shipyard-delivery';
const TWO_MINUTES = 120_000;

async function open(recorder: Recorder, clock?: FakeClock): Promise<Opened> {
  const opened = await harness.open({ executors: recorder.executors(), ...(clock ? { clock } : {}) });
  const loaded = await opened.sw.addPipelineFile(shipyard(SHIPYARD.helmJes));
  expect(loaded.pipeline.name).toBe(PROJECT);
  return opened;
}

const summary = async (o: Opened): Promise<string[]> =>
  (await o.sw.store.listRuns({ project: PROJECT })).map((r) => `${r.stage}/${r.sequence} ${r.state}/${r.result ?? '-'}`).sort();

/** qa delivery with the given evaluation result; resolves once production's approval waits. */
async function throughQa(evaluation: Result) {
  const recorder = new Recorder({ result: resultsBy({ 'qa/evaluation': evaluation }) });
  const o = await open(recorder);
  const waiting = waitForTaskWaiting(o.sw, 'production', 'approval');
  const { releaseId } = await trigger(o.sw, { project: PROJECT, stage: 'qa' });
  const approvalTaskId = await waiting;
  await waitForQuiet(o.sw);
  return { ...o, recorder, releaseId, approvalTaskId };
}

describe('06 helm-jes shipyard: qa → production with manual approval', () => {
  it.each(['pass', 'warning'] as const)('qa delivery ending %s starts production delivery, which waits for a manual approval', async (evaluation) => {
    const o = await throughQa(evaluation);
    expect(o.recorder.trail()).toEqual(['qa/delivery/deployment', 'qa/delivery/test', 'qa/delivery/evaluation']);
    expect(o.recorder.executions.find((e) => e.task === 'evaluation')?.properties).toEqual({ timeframe: '2m' });

    expect(await lines(o.sw.store, 'run.queued', 'run.started', 'run.waiting', 'run.finished', 'task.triggered', 'task.waiting', 'task.finished')).toEqual([
      'qa/delivery run.queued',
      'qa/delivery run.started',
      'qa/delivery/deployment.triggered',
      'qa/delivery/deployment.finished pass',
      'qa/delivery/test.triggered',
      'qa/delivery/test.finished pass',
      'qa/delivery/evaluation.triggered',
      `qa/delivery/evaluation.finished ${evaluation}`,
      `qa/delivery run.finished succeeded/${evaluation}`,
      'production/delivery run.queued',
      'production/delivery run.started',
      'production/delivery/approval.triggered',
      'production/delivery/approval.waiting',
      'production/delivery run.waiting',
    ]);
    // No rollback (its selector wants `fail`) and no remediation (nothing triggered it).
    expect(await summary(o)).toEqual([`production/delivery waiting/-`, `qa/delivery succeeded/${evaluation}`]);

    const prod = (await o.sw.store.listRuns({ project: PROJECT, stage: 'production' }))[0];
    const approval = prod?.tasks.find((t) => t.name === 'approval');
    // The approval is the sequence's first task: it judges the result carried from qa's delivery, as Keptn does.
    expect(approval).toMatchObject({ state: 'waiting', message: `waiting for manual approval (result so far: ${evaluation})` });
    expect(prod?.tasks.find((t) => t.name === 'deployment')?.state).toBe('pending');
  });

  it('approving the production approval runs production deployment', async () => {
    const o = await throughQa('pass');
    const waiting = (await o.sw.store.listRuns({ project: PROJECT, stage: 'production' }))[0]?.tasks.find((t) => t.name === 'approval');
    expect((waiting?.waitingFor ?? '').split('|').sort()).toEqual(['approve', 'reject']);

    const production = waitForRunFinished(o.sw, { stage: 'production', sequence: 'delivery' });
    await signal(o.sw, o.approvalTaskId, 'approve', 'alice');
    expect(await production).toMatchObject({ releaseId: o.releaseId, state: 'succeeded', result: 'pass' });

    expect(o.recorder.trail()).toEqual(['qa/delivery/deployment', 'qa/delivery/test', 'qa/delivery/evaluation', 'production/delivery/deployment']);
    const tail = await lines(o.sw.store, 'run.finished', 'task.signaled', 'task.triggered', 'task.finished');
    expect(tail.slice(tail.indexOf('production/delivery/approval.signaled'))).toEqual([
      'production/delivery/approval.signaled',
      'production/delivery/approval.finished pass',
      'production/delivery/deployment.triggered',
      'production/delivery/deployment.finished pass',
      'production/delivery run.finished succeeded/pass',
    ]);
    const prod = (await o.sw.store.listRuns({ project: PROJECT, stage: 'production' }))[0];
    expect(prod?.tasks.find((t) => t.name === 'approval')).toMatchObject({ result: 'pass', by: 'alice' });
    // Production delivery finishing does not start remediation: only `production.remediation.finished` does.
    await waitForQuiet(o.sw);
    expect(await summary(o)).toEqual(['production/delivery succeeded/pass', 'qa/delivery succeeded/pass']);
  });

  it('rejecting the production approval fails production delivery without deploying', async () => {
    const o = await throughQa('pass');
    const production = waitForRunFinished(o.sw, { stage: 'production', sequence: 'delivery' });
    await signal(o.sw, o.approvalTaskId, 'reject', 'bob');
    expect(await production).toMatchObject({ state: 'failed', result: 'fail' });
    expect(o.recorder.trail()).not.toContain('production/delivery/deployment');
    expect(await summary(o)).toEqual(['production/delivery failed/fail', 'qa/delivery succeeded/pass']);
  });

  it('a failed qa delivery runs the qa rollback sequence and never starts production', async () => {
    const recorder = new Recorder({ result: resultsBy({ 'qa/delivery/test': 'fail' }) });
    const o = await open(recorder);
    const rollback = waitForRunFinished(o.sw, { stage: 'qa', sequence: 'rollback' });
    const { releaseId } = await trigger(o.sw, { project: PROJECT, stage: 'qa' });

    expect(await rollback).toMatchObject({ releaseId, state: 'succeeded', result: 'pass' });
    await waitForQuiet(o.sw);

    expect(recorder.trail()).toEqual(['qa/delivery/deployment', 'qa/delivery/test', 'qa/rollback/rollback']);
    expect(await lines(o.sw.store, 'run.queued', 'run.started', 'run.finished', 'task.finished', 'task.skipped')).toEqual([
      'qa/delivery run.queued',
      'qa/delivery run.started',
      'qa/delivery/deployment.finished pass',
      'qa/delivery/test.finished fail',
      'qa/delivery/evaluation.skipped',
      'qa/delivery run.finished failed/fail',
      'qa/rollback run.queued',
      'qa/rollback run.started',
      'qa/rollback/rollback.finished pass',
      'qa/rollback run.finished succeeded/pass',
    ]);
    expect(await summary(o)).toEqual(['qa/delivery failed/fail', 'qa/rollback succeeded/pass']);
  });
});

describe('06 helm-jes shipyard: production remediation', () => {
  it('runs only when triggered, and triggers its evaluation 2 minutes after the action, not before', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const recorder = new Recorder();
    const o = await open(recorder, clock);

    const scheduled = waitForEvent(o.sw, 'the remediation evaluation to be scheduled', (e) => e.type === eventTypes.task('evaluation', 'scheduled'));
    const { runId } = await trigger(o.sw, { project: PROJECT, stage: 'production', sequence: 'remediation' });
    const ev = await scheduled;
    expect(ev.runid).toBe(runId);
    expect((ev.data as { dueAt?: number }).dueAt).toBe(t0 + TWO_MINUTES);

    expect(recorder.trail()).toEqual(['production/remediation/get-action', 'production/remediation/action']);
    expect(await o.sw.store.nextTimerDue()).toBe(t0 + TWO_MINUTES);

    // One millisecond short of two minutes: nothing fires (a fired timer would be an input in flight).
    clock.advance(TWO_MINUTES - 1);
    expect(o.sw.engine.inflight).toBe(0);
    expect(recorder.trail()).not.toContain('production/remediation/evaluation');
    expect(await lines(o.sw.store, 'task.triggered')).not.toContain('production/remediation/evaluation.triggered');
    expect(o.sw.engine.view.runs.get(runId)?.tasks.find((t) => t.name === 'evaluation')?.state).toBe('scheduled');

    const done = waitForRunFinished(o.sw, { runId });
    clock.advance(1);
    expect(await done).toMatchObject({ stage: 'production', sequence: 'remediation', state: 'succeeded', result: 'pass' });

    const evaluation = recorder.executions.find((e) => e.task === 'evaluation');
    expect(evaluation).toMatchObject({ stage: 'production', sequence: 'remediation', at: t0 + TWO_MINUTES, properties: { timeframe: '2m' } });
    expect(await lines(o.sw.store, 'run.started', 'run.finished', 'task.scheduled', 'task.triggered', 'task.finished')).toEqual([
      'production/remediation run.started',
      'production/remediation/get-action.triggered',
      'production/remediation/get-action.finished pass',
      'production/remediation/action.triggered',
      'production/remediation/action.finished pass',
      'production/remediation/evaluation.scheduled',
      'production/remediation/evaluation.triggered',
      'production/remediation/evaluation.finished pass',
      'production/remediation run.finished succeeded/pass',
    ]);
    // A passing evaluation does not match `evaluation.result: fail`: the loop ends, nothing else ran.
    expect(await summary(o)).toEqual(['production/remediation succeeded/pass']);
  });

  it('loops while the evaluation fails (`production.remediation.finished` with evaluation.result fail) and stops once it passes', async () => {
    const clock = new FakeClock();
    const recorder = new Recorder({ result: (e) => (e.task === 'evaluation' && e.nth === 1 ? 'fail' : 'pass') });
    const o = await open(recorder, clock);

    const firstScheduled = waitForEvent(o.sw, 'the first evaluation to be scheduled', (e) => e.type === eventTypes.task('evaluation', 'scheduled'));
    const { runId: first, releaseId } = await trigger(o.sw, { project: PROJECT, stage: 'production', sequence: 'remediation' });
    await firstScheduled;

    const secondScheduled = waitForEvent(o.sw, 'the second evaluation to be scheduled', (e) => e.type === eventTypes.task('evaluation', 'scheduled') && e.runid !== first);
    const firstDone = waitForRunFinished(o.sw, { runId: first });
    clock.advance(TWO_MINUTES);
    expect(await firstDone).toMatchObject({ state: 'failed', result: 'fail' });
    const second = (await secondScheduled).runid;
    expect(second).toBeDefined();

    const secondDone = waitForRunFinished(o.sw, { runId: second! });
    clock.advance(TWO_MINUTES);
    expect(await secondDone).toMatchObject({ releaseId, stage: 'production', sequence: 'remediation', state: 'succeeded', result: 'pass' });
    await waitForQuiet(o.sw);

    expect(recorder.trail()).toEqual([
      'production/remediation/get-action',
      'production/remediation/action',
      'production/remediation/evaluation',
      'production/remediation/get-action',
      'production/remediation/action',
      'production/remediation/evaluation',
    ]);
    expect(await summary(o)).toEqual(['production/remediation failed/fail', 'production/remediation succeeded/pass']);
  });
});
