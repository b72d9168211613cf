/**
 * Slipway's events in Keptn's dialect, compared field by field with the Keptn spec's example
 * events and with real events of a Keptn trace (../shared/conformance/keptn/events).
 */
import { describe, expect, it } from 'vitest';
import type { SlipwayEvent } from '../../src/core/index.js';
import type { KeptnEvent } from '../../src/keptn/index.js';
import { KeptnFold, keptnContextOf, keptnEventId, toKeptn, uuidFor } from '../../src/keptn/index.js';
import { conformance, expectShapeOf } from './conformance.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let seq = 0;
function ev(type: string, data: Record<string, unknown>, extra: Partial<SlipwayEvent> = {}): SlipwayEvent {
  seq += 1;
  return { specversion: '1.0', id: `ev-${seq}`, source: '/projects/sockshop', type, time: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, datacontenttype: 'application/json', project: 'sockshop', data, ...extra };
}

const IMAGE = 'docker.io/keptnexamples/carts:0.13.3';

function run(id: string, stage: string, services = ['carts']) {
  return { id, project: 'sockshop', stage, sequence: 'delivery', releaseId: 'rel-1', services, state: 'queued', tasks: [], spec: { name: 'delivery', steps: [] } };
}

/** A Slipway log of dev delivery (deployment → test → evaluation) then staging's deployment.triggered. */
function log(services = ['carts']): SlipwayEvent[] {
  const artifacts = Object.fromEntries(services.map((s) => [s, s === 'carts' ? IMAGE : `docker.io/keptnexamples/${s}:1`]));
  const task = (runId: string, stage: string, name: string, phase: string, data: Record<string, unknown>, attempt = 1) => {
    const taskid = `${runId}.${name}.${attempt}`;
    const triggeredid = phase === 'triggered' ? undefined : `trig-${taskid}`;
    return ev(`sh.slipway.task.${name}.${phase}`, { stage, sequence: 'delivery', releaseId: 'rel-1', task: name, kind: name, attempt, state: phase, ...data }, { runid: runId, taskid, ...(phase === 'triggered' ? { id: `trig-${taskid}` } : { triggeredid }) });
  };
  return [
    ev('sh.slipway.release.created', { release: { id: 'rel-1', project: 'sockshop', artifacts, provenance: { commit: 'ca82a6d' }, createdAt: 0 } }),
    ev('sh.slipway.run.queued', { run: run('r-dev', 'dev', services) }, { runid: 'r-dev' }),
    ev('sh.slipway.run.started', { stage: 'dev', releaseId: 'rel-1', step: 0 }, { runid: 'r-dev' }),
    task('r-dev', 'dev', 'deployment', 'triggered', { artifacts, properties: { deploymentstrategy: 'direct' } }),
    task('r-dev', 'dev', 'deployment', 'started', { executor: 'helm-service' }),
    task('r-dev', 'dev', 'deployment', 'finished', {
      result: 'pass',
      message: 'Successfully deployed',
      output: { deployment: { deploymentstrategy: 'direct', deploymentURIsLocal: ['http://carts.sockshop-dev:80'], deploymentURIsPublic: ['http://carts.sockshop-dev.nip.io:80'], deploymentNames: ['direct'] } },
    }),
    task('r-dev', 'dev', 'test', 'triggered', { artifacts, properties: { teststrategy: 'functional' } }),
    task('r-dev', 'dev', 'test', 'started', { executor: 'jmeter-service' }),
    task('r-dev', 'dev', 'test', 'finished', { result: 'pass', output: { test: { start: '2026-01-01T00:00:07Z', end: '2026-01-01T00:00:08Z' } } }),
    task('r-dev', 'dev', 'evaluation', 'triggered', { artifacts, properties: {} }),
    // A built-in executor's output (not Keptn-shaped) lands under the task's name.
    task('r-dev', 'dev', 'evaluation', 'finished', { result: 'pass', output: { score: 100, result: 'pass' } }),
    ev('sh.slipway.run.finished', { stage: 'dev', sequence: 'delivery', releaseId: 'rel-1', state: 'succeeded', result: 'pass' }, { runid: 'r-dev' }),
    ev('sh.slipway.run.queued', { run: run('r-staging', 'staging', services) }, { runid: 'r-staging' }),
    ev('sh.slipway.run.started', { stage: 'staging', releaseId: 'rel-1', step: 0 }, { runid: 'r-staging' }),
    task('r-staging', 'staging', 'deployment', 'triggered', { artifacts, properties: { deploymentstrategy: 'blue_green_service' } }),
  ];
}

// Keptn's spec examples carry `gitcommitid` (the config repository commit): Slipway keeps no such repository.
// The labels in the spec examples are the example's own.
const SPEC_SKIP = new Set(['$.gitcommitid', '$.data.labels.label-key']);

describe('Slipway events in Keptn dialect', () => {
  const source = log();
  const mapped = KeptnFold.map(source).events;
  const byType = (type: string) => mapped.filter((e) => e.type === type);
  const one = (type: string): KeptnEvent => {
    const found = byType(type);
    expect(found.map((e) => e.type)).toEqual([type]);
    return found[0]!;
  };

  it('gives Keptn types in Keptn order: the sequence brackets its tasks, each task triggered → started → finished', () => {
    expect(mapped.map((e) => `${e.type} ${e.data.stage}`)).toEqual([
      'sh.keptn.event.dev.delivery.triggered dev',
      'sh.keptn.event.deployment.triggered dev',
      'sh.keptn.event.deployment.started dev',
      'sh.keptn.event.deployment.finished dev',
      'sh.keptn.event.test.triggered dev',
      'sh.keptn.event.test.started dev',
      'sh.keptn.event.test.finished dev',
      'sh.keptn.event.evaluation.triggered dev',
      'sh.keptn.event.evaluation.finished dev',
      'sh.keptn.event.dev.delivery.finished dev',
      'sh.keptn.event.staging.delivery.triggered staging',
      'sh.keptn.event.deployment.triggered staging',
    ]);
  });

  it('ids are UUIDs, the same on every mapping, one context per release across stages, triggeredid naming the .triggered', () => {
    for (const e of mapped) {
      expect(e.id).toMatch(UUID);
      expect(e.shkeptncontext).toBe(keptnContextOf('sockshop', 'rel-1'));
      expect(e.shkeptnspecversion).toBe(conformance('trace_deployment.finished_staging_by-helm-service')['shkeptnspecversion']);
    }
    expect(new Set(mapped.map((e) => e.id)).size).toBe(mapped.length);
    expect(KeptnFold.map(source.map((e) => ({ ...e }))).events.map((e) => e.id)).toEqual(mapped.map((e) => e.id));
    const [triggered, started, finished] = byType('sh.keptn.event.deployment.triggered').slice(0, 1).concat(byType('sh.keptn.event.deployment.started'), byType('sh.keptn.event.deployment.finished'));
    expect(started!.triggeredid).toBe(triggered!.id);
    expect(finished!.triggeredid).toBe(triggered!.id);
    expect(one('sh.keptn.event.dev.delivery.finished').triggeredid).toBe(one('sh.keptn.event.dev.delivery.triggered').id);
    expect(uuidFor('a')).not.toBe(uuidFor('b'));
  });

  it.each([
    // The spec's deployment.triggered carries URIs an earlier deployment returned: compare with staging's, which has dev's.
    ['spec_deployment-triggered', 'sh.keptn.event.deployment.triggered', 1],
    ['spec_deployment-finished', 'sh.keptn.event.deployment.finished', 0],
    ['spec_test-finished', 'sh.keptn.event.test.finished', 0],
  ])('%s: every attribute and data field of the spec example is there, with the same type', (file, type, index) => {
    const ours = byType(type)[index]!;
    const theirs = conformance(file);
    // Fields the example's own executor reported but ours did not (gitCommit of a deployment, a test's gitCommit).
    // A .triggered carries no verdict: Keptn's own controller sends status, result and message empty there (see the trace).
    const verdict = type.endsWith('.triggered') ? ['$.data.status', '$.data.result', '$.data.message'] : [];
    expectShapeOf(ours, theirs, '$', new Set([...SPEC_SKIP, ...verdict, '$.data.deployment.gitCommit', '$.data.test.gitCommit', '$.data.configurationChange.values.key', '$.data.deployment.deploymentNames']));
  });

  it('deployment.triggered in staging matches the trace of Keptn’s shipyard controller: image, strategy, and what dev returned', () => {
    const ours = byType('sh.keptn.event.deployment.triggered')[1]!;
    const theirs = conformance('trace_deployment.triggered_staging_by-shipyard-controller');
    expectShapeOf(ours, theirs, '$', new Set(['$.data.result', '$.data.status', '$.data.message', '$.data.evaluation', '$.data.deployment.deploymentNames']));
    expect(ours.data['configurationChange']).toEqual(theirs.data['configurationChange']);
    expect(ours.data['deployment']).toMatchObject({ deploymentstrategy: 'blue_green_service', deploymentURIsPublic: ['http://carts.sockshop-dev.nip.io:80'] });
    expect(ours.data['test']).toEqual({ start: '2026-01-01T00:00:07Z', end: '2026-01-01T00:00:08Z' });
    expect(ours.data['evaluation']).toEqual({ score: 100, result: 'pass' });
    expect(ours.source).toBe('slipway');
    expect(ours.triggeredid).toBeUndefined();
  });

  it('deployment.finished matches the trace of helm-service: source is the executor, status and result and message as reported', () => {
    const ours = byType('sh.keptn.event.deployment.finished')[0]!;
    const theirs = conformance('trace_deployment.finished_staging_by-helm-service');
    expectShapeOf(ours, theirs, '$');
    expect(ours.source).toBe('helm-service');
    expect(ours.data).toMatchObject({ project: 'sockshop', stage: 'dev', service: 'carts', status: 'succeeded', result: 'pass', message: 'Successfully deployed' });
  });

  it('the sequence trigger matches the CLI’s dev.delivery.triggered: the image as configurationChange', () => {
    const ours = one('sh.keptn.event.dev.delivery.triggered');
    expectShapeOf(ours, conformance('trace_dev.delivery.triggered_from-cli'), '$', new Set(['$.data.deployment', '$.source']));
    expect(ours.data).toMatchObject({ project: 'sockshop', stage: 'dev', service: 'carts', configurationChange: { values: { image: IMAGE } } });
  });

  it('what a deployment returned reaches the test: deployment.deploymentURIsLocal in test.triggered, the task’s properties under data.test', () => {
    const test = one('sh.keptn.event.test.triggered');
    expect(test.data['deployment']).toMatchObject({ deploymentURIsLocal: ['http://carts.sockshop-dev:80'], deploymentstrategy: 'direct' });
    expect(test.data['test']).toEqual({ teststrategy: 'functional' });
    expect(test.data['labels']).toEqual({ commit: 'ca82a6d' });
    // Nothing of the earlier task's verdict is carried: result, status and message belong to each event.
    expect(test.data).not.toHaveProperty('result');
  });

  it('a failed task without a reported status is errored; a reported status is kept', () => {
    const ctx = { run: { id: 'r', project: 'p', stage: 's', sequence: 'q', releaseId: 'x', services: ['a'] }, artifacts: { a: 'img' } };
    const fin = (output?: Record<string, unknown>) =>
      toKeptn(ev('sh.slipway.task.evaluation.finished', { result: 'fail', ...(output ? { output } : {}) }, { runid: 'r', taskid: 'r.evaluation.1', triggeredid: 't' }), ctx)[0]!.data;
    expect(fin()).toMatchObject({ status: 'errored', result: 'fail' });
    expect(fin({ status: 'succeeded', evaluation: { score: 0 } })).toMatchObject({ status: 'succeeded', result: 'fail', evaluation: { score: 0 } });
    expect(toKeptn(ev('sh.slipway.task.evaluation.finished', { result: 'pass' }, { runid: 'r', taskid: 'r.evaluation.1', triggeredid: 't' }), ctx)[0]!.triggeredid).toBe(keptnEventId('t', 'a'));
  });

  it('a release of several services gives one Keptn event per service, each with its own image and ids', () => {
    const events = KeptnFold.map(log(['carts', 'orders'])).events;
    const deployments = events.filter((e) => e.type === 'sh.keptn.event.deployment.triggered' && e.data.stage === 'dev');
    expect(deployments.map((e) => [e.data.service, (e.data['configurationChange'] as { values: { image: string } }).values.image])).toEqual([
      ['carts', IMAGE],
      ['orders', 'docker.io/keptnexamples/orders:1'],
    ]);
    expect(deployments[0]!.id).not.toBe(deployments[1]!.id);
    expect(events.filter((e) => e.type === 'sh.keptn.event.dev.delivery.finished')).toHaveLength(2);
    expect(new Set(events.map((e) => e.shkeptncontext)).size).toBe(1);
  });

  it("keeps only open runs' tasks to answer: an ended run's are dropped, its data still carried to the next stage", () => {
    const fold = new KeptnFold();
    for (const e of log()) fold.add(e);
    expect([...fold.tasks.values()].map((t) => t.runId)).toEqual(['r-staging']);
    const deploy = [...fold.tasks.values()][0]!.triggered[0]!;
    // What dev's deployment returned still reaches staging after dev's run was forgotten.
    expect((deploy.data['deployment'] as { deploymentURIsLocal?: unknown }).deploymentURIsLocal).toEqual(['http://carts.sockshop-dev:80']);
  });

  it('events Keptn has no word for map to none, and a retried run does not trigger its sequence twice', () => {
    const fold = new KeptnFold();
    for (const e of log()) fold.add(e);
    expect(fold.add(ev('sh.slipway.run.waiting', { stage: 'staging', state: 'waiting' }, { runid: 'r-staging' }))).toEqual([]);
    expect(fold.add(ev('sh.slipway.run.started', { stage: 'staging', releaseId: 'rel-1', step: 1 }, { runid: 'r-staging' }))).toEqual([]);
    expect(fold.add(ev('sh.slipway.task.deployment.skipped', {}, { runid: 'r-staging', taskid: 'r-staging.deployment.1' }))).toEqual([]);
    // A run aborted while queued never sent its sequence's .triggered, so it sends no .finished either.
    fold.add(ev('sh.slipway.run.queued', { run: run('r-prod', 'production') }, { runid: 'r-prod' }));
    expect(fold.add(ev('sh.slipway.run.finished', { stage: 'production', sequence: 'delivery', releaseId: 'rel-1', state: 'aborted' }, { runid: 'r-prod' }))).toEqual([]);
  });
});
