/**
 * Keptn's executor API over a real engine and SQLite file (no HTTP): a release of two
 * services is one Slipway task answered per service; claims, heartbeats and refusals.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutorActor, Run } from '../../src/core/index.js';
import { KeptnExecutorApi, KeptnFold, leaseKeyIn } from '../../src/keptn/index.js';
import type { KeptnEvent } from '../../src/keptn/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import { waitForEvent, waitForRunFinished } from '../e2e/support/wait.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const SHIPYARD = `apiVersion: spec.keptn.sh/0.2.3
kind: Shipyard
metadata: {name: sockshop}
spec:
  stages:
    - name: dev
      sequences:
        - name: delivery
          tasks:
            - name: deployment
              properties: {deploymentstrategy: direct}
            - name: test
`;

const HELM = { by: 'token:helm', actor: { type: 'executor', kinds: ['deployment', 'test'] } satisfies ExecutorActor };
const OTHER = { by: 'token:other', actor: { type: 'executor' } satisfies ExecutorActor };

let opened: { sw: Slipway; dir: string } | undefined;
afterEach(async () => {
  await opened?.sw.close();
  if (opened) await rm(opened.dir, { recursive: true, force: true });
  opened = undefined;
});

async function start(artifacts: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-api-'));
  const sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), unservedKinds: 'wait' });
  opened = { sw, dir };
  await sw.addPipelineText(SHIPYARD, 'shipyard.yaml', dir);
  const api = new KeptnExecutorApi({ engine: sw.engine, store: sw.store, leaseKey: leaseKeyIn(dir) });
  const triggered = waitForEvent(sw, 'deployment triggered', (e) => e.type === 'sh.slipway.task.deployment.triggered');
  const d = await sw.engine.apply({ type: 'trigger', id: 'trigger-1', by: 'test', project: 'sockshop', stage: 'dev', artifacts });
  await triggered;
  return { sw, dir, api, runId: d.value!.runId! };
}

const answer = (to: KeptnEvent, source: string, phase: string, data: Record<string, unknown> = {}) => ({
  id: `${source}-${phase}-${to.id}`,
  type: to.type.replace(/\.triggered$/, `.${phase}`),
  source,
  triggeredid: to.id,
  data: { project: to.data.project, stage: to.data.stage, service: to.data.service, ...data },
});

describe('Keptn executor API', () => {
  it('a release of two services is answered per service; the task ends with the worst result once both finished', async () => {
    const { sw, api, runId } = await start({ carts: 'carts:1', orders: 'orders:1' });
    const open = await api.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered', project: 'sockshop' });
    expect(open.map((e) => [e.data.service, (e.data['configurationChange'] as { values: { image: string } }).values.image])).toEqual([
      ['carts', 'carts:1'],
      ['orders', 'orders:1'],
    ]);
    expect(await api.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered', service: 'orders' })).toEqual([open[1]]);
    const [carts, orders] = open as [KeptnEvent, KeptnEvent];

    await api.post(answer(carts, 'helm-service', 'started'), HELM);
    await api.post(answer(orders, 'helm-service', 'started'), HELM);
    expect(await api.post(answer(carts, 'helm-service', 'status.changed'), HELM)).toMatchObject({ applied: true });
    expect(await api.post(answer(carts, 'helm-service', 'finished', { result: 'pass', deployment: { deploymentURIsLocal: ['http://carts'] } }), HELM)).toMatchObject({ applied: false });
    // carts answered, orders still open.
    expect((await api.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered' })).map((e) => e.data.service)).toEqual(['orders']);
    const done = waitForRunFinished(sw, { stage: 'dev' }).catch(() => undefined);
    const testTriggered = waitForEvent(sw, 'test triggered', (e) => e.type === 'sh.slipway.task.test.triggered');
    expect(await api.post(answer(orders, 'helm-service', 'finished', { result: 'warning', deployment: { deploymentURIsLocal: ['http://orders'] } }), HELM)).toMatchObject({ applied: true });
    await testTriggered;

    const run = sw.engine.view.runs.get(runId) as Run;
    const deployment = run.tasks.find((t) => t.name === 'deployment')!;
    expect(deployment).toMatchObject({ state: 'finished', result: 'warning', claim: { executor: 'helm-service' } });
    expect(deployment.data).toEqual({
      services: { carts: { status: 'succeeded', result: 'pass', deployment: { deploymentURIsLocal: ['http://carts'] } }, orders: { status: 'succeeded', result: 'warning', deployment: { deploymentURIsLocal: ['http://orders'] } } },
    });
    // Each service's test gets its own deployment's URIs.
    const tests = await api.openTriggered({ eventType: 'sh.keptn.event.test.triggered' });
    expect(tests.map((e) => [e.data.service, (e.data['deployment'] as { deploymentURIsLocal: string[] }).deploymentURIsLocal[0]])).toEqual([
      ['carts', 'http://carts'],
      ['orders', 'http://orders'],
    ]);
    // A .finished without a .started claims and finishes; errored fails whatever the result says.
    await api.post(answer(tests[0]!, 'jmeter-service', 'finished', { status: 'errored', result: 'pass' }), HELM);
    await expect(api.post(answer(tests[1]!, 'other-service', 'finished', { result: 'pass' }), HELM)).rejects.toMatchObject({ code: 'NOT_CLAIM_HOLDER' });
    await api.post(answer(tests[1]!, 'jmeter-service', 'finished', { result: 'pass' }), HELM);
    expect(await done).toMatchObject({ state: 'failed', result: 'fail' });
  });

  it('refuses what is not an answer to an open task, a bad result, and a token that does not serve the task', async () => {
    const { api } = await start({ carts: 'carts:1' });
    const [e] = (await api.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered' })) as [KeptnEvent];
    await expect(api.openTriggered({ eventType: 'deployment' })).rejects.toMatchObject({ code: 'INVALID_INPUT', fields: { field: 'eventType' } });
    await expect(api.post({ ...answer(e, 'helm-service', 'started'), triggeredid: undefined } as never, HELM)).rejects.toMatchObject({ code: 'INVALID_INPUT', fields: { field: 'triggeredid' } });
    await expect(api.post({ ...answer(e, 'helm-service', 'started'), type: 'sh.keptn.event.test.started' }, HELM)).rejects.toMatchObject({ code: 'INVALID_INPUT', fields: { field: 'type' } });
    await expect(api.post(answer(e, 'helm-service', 'finished', { result: 'failed' }), HELM)).rejects.toMatchObject({ code: 'INVALID_INPUT', fields: { field: 'data.result' } });
    await expect(api.post(answer(e, 'jmeter', 'started'), { by: 'token:jmeter', actor: { type: 'executor', kinds: ['test'] } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await api.post(answer(e, 'helm-service', 'started'), HELM);
    await expect(api.post(answer(e, 'helm-service', 'finished', { result: 'pass' }), OTHER)).rejects.toMatchObject({ code: 'NOT_CLAIM_HOLDER' });
    expect(await api.post(answer(e, 'helm-service', 'finished', { result: 'pass' }), HELM)).toMatchObject({ applied: true });
    await expect(api.post(answer(e, 'helm-service', 'finished', { result: 'pass' }), HELM)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a claim outlives the server process: the lease token is made again from the data directory’s key, not remembered', async () => {
    const { sw, dir, api } = await start({ carts: 'carts:1' });
    const [e] = (await api.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered' })) as [KeptnEvent];
    await api.post(answer(e, 'helm-service', 'started'), HELM);
    // A new adapter (as after a restart) over the same data directory knows nothing of the claim but its key.
    const again = new KeptnExecutorApi({ engine: sw.engine, store: sw.store, leaseKey: leaseKeyIn(dir) });
    const elsewhere = new KeptnExecutorApi({ engine: sw.engine, store: sw.store });
    await expect(elsewhere.post(answer(e, 'helm-service', 'finished', { result: 'pass' }), HELM)).rejects.toMatchObject({ code: 'NOT_CLAIM_HOLDER' });
    await expect(again.post(answer(e, 'helm-service', 'status.changed'), OTHER)).rejects.toMatchObject({ code: 'NOT_CLAIM_HOLDER' });
    expect(await again.post(answer(e, 'helm-service', 'finished', { result: 'pass' }), HELM)).toMatchObject({ applied: true });
  });

  it('a service’s answer survives a restart of the server between two services’ answers', async () => {
    const { dir, api, runId } = await start({ carts: 'carts:1', orders: 'orders:1' });
    const [carts, orders] = (await api.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered' })) as [KeptnEvent, KeptnEvent];
    await api.post(answer(carts, 'helm-service', 'started'), HELM);
    expect(await api.post(answer(carts, 'helm-service', 'finished', { result: 'warning', message: 'carts is slow', deployment: { deploymentURIsLocal: ['http://carts'] } }), HELM)).toMatchObject({ applied: false });

    // The server stops and starts again on the same data directory.
    await opened!.sw.close();
    const sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), unservedKinds: 'wait' });
    opened = { sw, dir };
    const after = new KeptnExecutorApi({ engine: sw.engine, store: sw.store, leaseKey: leaseKeyIn(dir) });
    // carts was answered before the restart: only orders is offered.
    expect((await after.openTriggered({ eventType: 'sh.keptn.event.deployment.triggered' })).map((e) => e.data.service)).toEqual(['orders']);
    const testTriggered = waitForEvent(sw, 'test triggered', (e) => e.type === 'sh.slipway.task.test.triggered');
    expect(await after.post(answer(orders, 'helm-service', 'finished', { result: 'pass', message: 'orders deployed', deployment: { deploymentURIsLocal: ['http://orders'] } }), HELM)).toMatchObject({ applied: true });
    await testTriggered;

    const deployment = (sw.engine.view.runs.get(runId) as Run).tasks.find((t) => t.name === 'deployment')!;
    expect(deployment).toMatchObject({ state: 'finished', result: 'warning' });
    expect(deployment.data).toEqual({
      services: {
        carts: { status: 'succeeded', result: 'warning', message: 'carts is slow', deployment: { deploymentURIsLocal: ['http://carts'] } },
        orders: { status: 'succeeded', result: 'pass', message: 'orders deployed', deployment: { deploymentURIsLocal: ['http://orders'] } },
      },
    });
    // Each service's Keptn .finished says its own verdict; what each deployment returned reaches its own test.
    const finished = KeptnFold.map((await sw.store.events({ project: 'sockshop' })).map((r) => r.event)).events.filter((e) => e.type === 'sh.keptn.event.deployment.finished');
    expect(finished.map((e) => [e.data.service, e.data.result, e.data.message])).toEqual([
      ['carts', 'warning', 'carts is slow'],
      ['orders', 'pass', 'orders deployed'],
    ]);
    const tests = await after.openTriggered({ eventType: 'sh.keptn.event.test.triggered' });
    expect(tests.map((e) => (e.data['deployment'] as { deploymentURIsLocal: string[] }).deploymentURIsLocal[0])).toEqual(['http://carts', 'http://orders']);
    // Nothing is left behind once the task ended.
    expect(await sw.store.keptnPartials(`${runId}.deployment.1`)).toEqual([]);
  });
});
