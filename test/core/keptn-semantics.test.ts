/**
 * Keptn's semantics where they differ from Slipway's first take (issue 10, item 3): a
 * release's outcome after a rollback, the result carried into the next sequence, a
 * `triggeredAfter` delay with a due time and a skip, the remediation loop's limit, and
 * what is live after a stage's other sequences ran.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline, Result, SequenceSpec, SequenceTrigger, StageSpec, TaskSpec } from '../../src/core/index.js';
import { liveKey } from '../../src/core/index.js';
import { describeOutcome } from '../../src/cli/summary.js';
import { loadKeptnProject, loadPipeline } from '../../src/spec/index.js';
import { Harness } from './harness.js';

const P = 'sockshop';

function task(name: string, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { name, kind: name, properties: {}, retries: 0, delayMs: 0, if: { kind: 'success' }, continueOnFailure: false, ...extra };
}

function seq(name: string, tasks: TaskSpec[], triggeredOn: SequenceTrigger[] = []): SequenceSpec {
  return { name, join: 'any', triggeredOn, steps: tasks.map((t) => ({ tasks: [t] })) };
}

function stage(name: string, sequences: SequenceSpec[], after: string[] = []): StageSpec {
  return { name, after, promotion: 'auto', queue: 'fifo', requireUpstream: false, sequences };
}

const on = (stage: string, sequence: string, results: Result[], taskResults?: Record<string, Result>): SequenceTrigger => ({
  stage,
  sequence,
  results,
  ...(taskResults ? { taskResults } : {}),
});

function keptn(stages: StageSpec[], extra: Partial<Pipeline> = {}): Pipeline {
  return { name: P, services: [], stages, format: 'spec.keptn.sh/0.2.2', version: 'v1', ...extra };
}

/** Finishes the dispatched task of `name` in `stageName`'s newest run with `result`. */
function finishTask(h: Harness, stageName: string, name: string, result: Result, output?: Record<string, unknown>) {
  const id = h.dispatched().find((t) => t.includes(`.${name}.`) && h.state.runs.get(t.split('.')[0]!)?.stage === stageName);
  if (!id) throw new Error(`no dispatched ${stageName}/${name}; dispatched: ${h.dispatched().join(', ')}`);
  const d = h.finish(id, result, output ? { output } : {});
  expect(d.error).toBeUndefined();
  return d;
}

const runsOf = (h: Harness) => [...h.state.runs.values()];

describe('a rollback after a failed delivery', () => {
  // Keptn's shipyard: `rollback` in production is triggered on production.delivery finished with result fail.
  const shipyard = keptn([
    stage('staging', [seq('delivery', [task('deployment'), task('evaluation')])]),
    stage(
      'production',
      [seq('delivery', [task('deployment'), task('test')], [on('staging', 'delivery', ['pass', 'warning'])]), seq('rollback', [task('rollback')], [on('production', 'delivery', ['fail'])])],
      ['staging'],
    ),
  ]);

  it('the rollback run carries the failure, and the release reads "failed, rolled back", not passed', () => {
    const h = new Harness(shipyard);
    h.trigger(P, { carts: 'carts:1' });
    finishTask(h, 'staging', 'deployment', 'pass');
    finishTask(h, 'staging', 'evaluation', 'pass');
    finishTask(h, 'production', 'deployment', 'pass');
    finishTask(h, 'production', 'test', 'fail', {});
    finishTask(h, 'production', 'rollback', 'pass');

    const runs = runsOf(h);
    const rb = runs.find((r) => r.sequence === 'rollback')!;
    expect(rb).toMatchObject({ state: 'succeeded', result: 'pass', carriedResult: 'fail' });
    expect(rb.carriedFrom).toBe(runs.find((r) => r.stage === 'production' && r.sequence === 'delivery')!.id);

    const outcome = describeOutcome(runs, ['staging', 'production']);
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toBe('failed in production (test), rolled back; passed: staging');
  });

  it('a rollback that fails too is named', () => {
    const h = new Harness(shipyard);
    h.trigger(P, { carts: 'carts:1' });
    finishTask(h, 'staging', 'deployment', 'pass');
    finishTask(h, 'staging', 'evaluation', 'pass');
    finishTask(h, 'production', 'deployment', 'fail');
    finishTask(h, 'production', 'rollback', 'fail');
    const outcome = describeOutcome(runsOf(h), ['staging', 'production']);
    expect(outcome).toEqual({ ok: false, text: 'failed in production (deployment), rollback failed too (rollback); passed: staging' });
  });

  it("Slipway's own automatic rollback marks the failed run, which reads as rolled back to the earlier release", () => {
    const slip = keptn([stage('prod', [seq('delivery', [task('deploy', { kind: 'deploy' }), task('check', { kind: 'check' })])])]);
    const h = new Harness(slip);
    const first = h.trigger(P, { carts: 'carts:1' }).value!.releaseId!;
    finishTask(h, 'prod', 'deploy', 'pass', { traffic: true });
    finishTask(h, 'prod', 'check', 'pass');
    const second = h.trigger(P, { carts: 'carts:2' }).value!.releaseId!;
    finishTask(h, 'prod', 'deploy', 'pass', { traffic: true });
    finishTask(h, 'prod', 'check', 'fail');

    const failed = runsOf(h).find((r) => r.releaseId === second)!;
    expect(failed).toMatchObject({ state: 'failed', rolledBackTo: first });
    const rollback = runsOf(h).find((r) => r.cause === 'rollback')!;
    expect(rollback.releaseId).toBe(first);
    const outcome = describeOutcome([failed], ['prod']);
    expect(outcome).toEqual({ ok: false, text: `failed in prod (check), rolled back to release ${first}` });
    // Watching the earlier release: its rollback run does not stand for its own delivery.
    expect(describeOutcome(runsOf(h).filter((r) => r.releaseId === first), ['prod'])).toEqual({ ok: true, text: 'passed: prod' });
  });
});

describe('the result carried into the next sequence', () => {
  it("production's run carries the warning of staging's evaluation (what its approval decides on)", () => {
    const h = new Harness(
      keptn([
        stage('staging', [seq('delivery', [task('deployment'), task('evaluation')])]),
        stage('production', [seq('delivery', [task('approval'), task('deployment')], [on('staging', 'delivery', ['pass', 'warning'])])], ['staging']),
      ]),
    );
    h.trigger(P, { carts: 'carts:1' });
    finishTask(h, 'staging', 'deployment', 'pass');
    finishTask(h, 'staging', 'evaluation', 'warning');
    const prod = h.runsOf('production')[0]!;
    expect(prod.carriedResult).toBe('warning');
    // Carried, not counted: the production run's own result starts empty.
    expect(prod.result).toBeUndefined();
    // A release triggered straight into a stage carries nothing.
    expect(h.runsOf('staging')[0]!.carriedResult).toBeUndefined();
  });
});

describe('triggeredAfter', () => {
  const delayed = () =>
    new Harness(keptn([stage('production', [seq('remediation', [task('get-action'), task('action', { delayMs: 120_000 })])])]));

  it('a task waiting for its delay shows when it is due, and `skip` triggers it now', () => {
    const h = delayed();
    h.trigger(P, { carts: 'carts:1' });
    finishTask(h, 'production', 'get-action', 'pass');
    const run = h.runsOf('production')[0]!;
    const action = run.tasks.find((t) => t.name === 'action')!;
    expect(action).toMatchObject({ state: 'scheduled', waitUntil: h.now + 120_000 });

    h.now += 1_000;
    const d = h.decide({ type: 'task.signal', taskId: `${run.id}.action.1`, signal: 'skip', by: 'alice' });
    expect(d.error).toBeUndefined();
    expect(d.effects).toContainEqual({ type: 'cancelTimer', id: `${run.id}.action.1:delay` });
    expect(d.effects).toContainEqual({ type: 'dispatch', taskId: `${run.id}.action.1`, project: P });
    const after = h.state.runs.get(run.id)!.tasks.find((t) => t.name === 'action')!;
    expect(after.state).toBe('triggered');
    expect(after.waitUntil).toBeUndefined();
    expect(after.triggeredAt).toBe(h.now);

    // The delay's timer, firing later, changes nothing.
    const late = h.decide({ type: 'timer', timerId: `${run.id}.action.1:delay`, purpose: 'task.delay', taskId: `${run.id}.action.1` });
    expect(late.ignored).toMatch(/task is triggered/);
  });

  it('another signal to a delayed task is refused with the way to skip it', () => {
    const h = delayed();
    h.trigger(P, { carts: 'carts:1' });
    finishTask(h, 'production', 'get-action', 'pass');
    const run = h.runsOf('production')[0]!;
    const d = h.decide({ type: 'task.signal', taskId: `${run.id}.action.1`, signal: 'approve', by: 'alice' });
    expect(d.error?.code).toBe('INVALID_STATE');
    expect(d.error?.message).toContain("send 'skip' to trigger it now");
    expect(d.error?.message).toContain(new Date(h.now + 120_000).toISOString());
  });
});

describe('a remediation that triggers itself', () => {
  // Keptn's remediation: re-triggered when its own evaluation fails.
  const looping = (extra: Partial<Pipeline> = {}) =>
    keptn(
      [
        stage('production', [
          seq('delivery', [task('deployment')]),
          seq('remediation', [task('action'), task('evaluation')], [on('production', 'remediation', ['fail'], { evaluation: 'fail' })]),
        ]),
      ],
      extra,
    );

  function loop(h: Harness, rounds: number): void {
    h.decide({ type: 'trigger', project: P, artifacts: { carts: 'carts:1' }, stage: 'production', sequence: 'remediation' });
    for (let i = 0; i < rounds && h.dispatched().length > 0; i++) {
      finishTask(h, 'production', 'action', 'pass');
      finishTask(h, 'production', 'evaluation', 'fail');
    }
  }

  it('stops after maxRemediationLoops (default 3) repeats, with an event saying why', () => {
    const h = new Harness(looping());
    loop(h, 20);
    const runs = h.runsOf('production').filter((r) => r.sequence === 'remediation');
    expect(runs).toHaveLength(4);
    expect(runs.every((r) => r.state === 'failed')).toBe(true);
    expect(h.dispatched()).toEqual([]);
    const stopped = h.log.filter((e) => e.type === 'sh.slipway.run.loop-stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.runid).toBe(runs[3]!.id);
    expect(stopped[0]!.data).toMatchObject({ stage: 'production', sequence: 'remediation', limit: 3, loops: 3 });
    expect(String(stopped[0]!.data['reason'])).toContain('maxRemediationLoops allows 3');
    // The release's outcome says why it stopped.
    expect(runs[3]!.loopStopped).toBe(stopped[0]!.data['reason']);
    const outcome = describeOutcome(runsOf(h), ['production']);
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toBe(`failed in production (evaluation), remediation failed too (evaluation); stopped: ${String(stopped[0]!.data['reason'])}`);
  });

  it('takes the project\'s own limit', () => {
    const h = new Harness(looping({ maxRemediationLoops: 1 }));
    loop(h, 20);
    expect(h.runsOf('production').filter((r) => r.sequence === 'remediation')).toHaveLength(2);
    expect(h.log.filter((e) => e.type === 'sh.slipway.run.loop-stopped')).toHaveLength(1);
  });

  it('slipway.keptn.yaml sets the limit for a shipyard', () => {
    const shipyard = `apiVersion: spec.keptn.sh/0.2.2
kind: Shipyard
metadata: {name: sockshop}
spec:
  stages:
    - name: production
      sequences:
        - name: remediation
          triggeredOn:
            - event: production.remediation.finished
              selector: {match: {evaluation.result: fail}}
          tasks:
            - name: action
            - name: evaluation
`;
    const project = loadKeptnProject('keptn:\n  maxRemediationLoops: 2\n', 'slipway.keptn.yaml');
    const { pipeline } = loadPipeline(shipyard, 'shipyard.yaml', { keptn: { project } });
    expect(pipeline.maxRemediationLoops).toBe(2);
    const h = new Harness(pipeline);
    loop(h, 20);
    expect(h.runsOf('production')).toHaveLength(3);
    expect(() => loadKeptnProject('keptn:\n  maxRemediationLoops: -1\n', 'slipway.keptn.yaml')).toThrow(/maxRemediationLoops/);
  });

  it('a delivery chain through stages is no loop', () => {
    const stages = ['dev', 'staging', 'production', 'canary', 'prod2'].map((s, i, all) =>
      stage(s, [seq('delivery', [task('deployment')], i > 0 ? [on(all[i - 1]!, 'delivery', ['pass'])] : [])], i > 0 ? [all[i - 1]!] : []),
    );
    const h = new Harness(keptn(stages, { maxRemediationLoops: 0 }));
    h.trigger(P, { carts: 'carts:1' });
    h.drain('pass');
    expect(runsOf(h).map((r) => `${r.stage}:${r.state}`)).toEqual(['dev:succeeded', 'staging:succeeded', 'production:succeeded', 'canary:succeeded', 'prod2:succeeded']);
  });
});

describe('status after other sequences of a stage', () => {
  it('shows the artifact the last successful sequence of any name deployed (delivery-direct after a failed delivery)', () => {
    const h = new Harness(
      keptn([
        stage('production', [
          seq('delivery', [task('deployment'), task('test')]),
          seq('delivery-direct', [task('deployment')]),
          seq('evaluation', [task('evaluation')]),
        ]),
      ]),
    );
    h.trigger(P, { carts: 'carts:1' });
    finishTask(h, 'production', 'deployment', 'pass');
    finishTask(h, 'production', 'test', 'fail');
    expect(h.state.live.get(liveKey(P, 'production', 'carts'))).toMatchObject({ artifact: 'carts:1', state: 'failed' });

    h.decide({ type: 'trigger', project: P, artifacts: { carts: 'carts:2' }, stage: 'production', sequence: 'delivery-direct' });
    finishTask(h, 'production', 'deployment', 'pass');
    expect(h.state.live.get(liveKey(P, 'production', 'carts'))).toMatchObject({ artifact: 'carts:2', state: 'succeeded', lastGoodArtifact: 'carts:2' });

    // A sequence that deploys nothing (an evaluation) does not change what is live.
    h.decide({ type: 'trigger', project: P, artifacts: { carts: 'carts:3' }, stage: 'production', sequence: 'evaluation' });
    finishTask(h, 'production', 'evaluation', 'pass');
    expect(h.state.live.get(liveKey(P, 'production', 'carts'))).toMatchObject({ artifact: 'carts:2', state: 'succeeded' });
  });
});
