/**
 * A Keptn executor, unchanged, against a real `slipway server`: a test program that speaks
 * only Keptn's protocol (support/keptn-executor.ts) polls Keptn's control-plane API for
 * deployment, test, evaluation and release tasks of a dev → staging → production shipyard and
 * answers with Keptn's `.started`/`.finished`. The release goes through; the events Slipway
 * gives back in Keptn's dialect are compared with Keptn's own trace and spec events; a second
 * source cannot answer a task the first one started.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformance, expectShapeOf } from '../keptn/conformance.js';
import type { KeptnCloudEvent } from './support/keptn-executor.js';
import { KeptnExecutor, answer, postKeptnEvent } from './support/keptn-executor.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';

const ADMIN = 'slw_e2e-admin-token-keptn-executor-api-0123';
const IMAGE = 'docker.io/keptnexamples/carts:0.13.3';

const SHIPYARD = `apiVersion: "spec.keptn.sh/0.2.3"
kind: "Shipyard"
metadata:
  name: "shipyard-sockshop"
spec:
  stages:
    - name: "dev"
      sequences:
        - name: "delivery"
          tasks:
            - name: "deployment"
              properties:
                deploymentstrategy: "direct"
            - name: "test"
              properties:
                teststrategy: "functional"
            - name: "evaluation"
    - name: "staging"
      sequences:
        - name: "delivery"
          triggeredOn:
            - event: "dev.delivery.finished"
          tasks:
            - name: "deployment"
              properties:
                deploymentstrategy: "blue_green_service"
            - name: "test"
              properties:
                teststrategy: "performance"
            - name: "evaluation"
    - name: "production"
      sequences:
        - name: "delivery"
          triggeredOn:
            - event: "staging.delivery.finished"
          tasks:
            - name: "deployment"
              properties:
                deploymentstrategy: "blue_green_service"
            - name: "release"
`;

interface Page {
  events: KeptnCloudEvent[];
  nextPageKey: string;
  totalCount: number;
  pageSize: number;
}

describe('a Keptn-protocol executor runs a dev → staging → production delivery', () => {
  let dir: string;
  let server: ServerProcess;
  let api: string;
  let executorToken: string;
  let executor: KeptnExecutor;
  const intruder: { status: number; body: Record<string, unknown> }[] = [];
  const intruderStart: { status: number; body: Record<string, unknown> }[] = [];
  const impostor: { status: number; body: Record<string, unknown> }[] = [];

  const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** The project's events in Keptn's dialect, every page. */
  const stream = async (): Promise<KeptnCloudEvent[]> => {
    const out: KeptnCloudEvent[] = [];
    let key = '';
    for (;;) {
      const r = await call('GET', `/api/mongodb-datastore/event?project=sockshop&pageSize=100${key ? `&nextPageKey=${key}` : ''}`);
      expect(r.status).toBe(200);
      const page = r.body as unknown as Page;
      out.push(...page.events);
      if (page.nextPageKey === '0') return out;
      key = page.nextPageKey;
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-keptn-api-'));
    // A Keptn project as a directory: the shipyard unchanged, and what it cannot say (the project's
    // name, and that this user's own service answers evaluations instead of Slipway's quality gate).
    await mkdir(join(dir, 'sockshop'));
    await writeFile(join(dir, 'sockshop', 'shipyard.yaml'), SHIPYARD);
    await writeFile(join(dir, 'sockshop', 'slipway.keptn.yaml'), 'keptn:\n  project: sockshop\n  outside: [evaluation]\n');
    server = await startServerProcess(['sockshop', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    api = `${server.url}/api`;
    // Scopes by Keptn's task names; `release` is also a built-in kind here, so its tasks run as keptn.release.
    const made = await call('POST', '/api/v1/tokens', { name: 'keptn-executor', scopes: ['execute:deployment', 'execute:test', 'execute:evaluation', 'execute:release'] });
    expect(made.status).toBe(201);
    executorToken = made.body['token'] as string;
    const other = await call('POST', '/api/v1/tokens', { name: 'other-executor', scopes: ['execute:test'] });
    const otherToken = other.body['token'] as string;

    const uris = (stage: string) => ({ deploymentURIsLocal: [`http://carts.sockshop-${stage}:80`], deploymentURIsPublic: [`http://carts.sockshop-${stage}.nip.io:80`] });
    executor = new KeptnExecutor({
      api,
      token: executorToken,
      source: 'helm-service',
      project: 'sockshop',
      statusChanged: true,
      tasks: {
        deployment: (e) => ({ message: 'Successfully deployed', data: { deployment: { deploymentstrategy: (e.data['deployment'] as { deploymentstrategy: string }).deploymentstrategy, deploymentNames: ['canary'], ...uris(e.data.stage) } } }),
        test: () => ({ data: { test: { start: '2022-01-17T11:41:19.452Z', end: '2022-01-17T11:41:44.207Z' } } }),
        // As Keptn's lighthouse answered.
        evaluation: () => ({ data: { evaluation: { result: 'pass', score: 100, sloFileContent: '', indicatorResults: [], timeStart: '2022-01-17T11:41:19.452Z', timeEnd: '2022-01-17T11:41:44.207Z' } } }),
        release: () => ({ message: 'released' }),
      },
      // Another executor (jmeter) tries to answer the staging test the first one started.
      afterStarted: async (e) => {
        if (e.type !== 'sh.keptn.event.test.triggered' || e.data.stage !== 'staging') return;
        intruderStart.push(await postKeptnEvent(api, { authorization: `Bearer ${otherToken}` }, answer(e, 'jmeter-service', 'started')));
        intruder.push(await postKeptnEvent(api, { authorization: `Bearer ${otherToken}` }, answer(e, 'jmeter-service', 'finished', { status: 'succeeded', result: 'fail' })));
        // A source is only a name: the same name sent with another token is not the claim holder either.
        impostor.push(await postKeptnEvent(api, { 'x-token': otherToken }, answer(e, 'helm-service', 'finished', { status: 'errored', result: 'fail' })));
      },
    });
    executor.start();
  }, 60_000);

  afterAll(async () => {
    await executor?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers Keptn’s metadata, and refuses the executor API without a token', async () => {
    const meta = await fetch(`${api}/v1/metadata`);
    expect(await meta.json()).toMatchObject({ keptnversion: expect.stringMatching(/^1\./), namespace: 'slipway' });
    const anonymous = await fetch(`${api}/controlPlane/v1/event/triggered/sh.keptn.event.deployment.triggered`);
    expect(anonymous.status).toBe(401);
    const bare = await fetch(`${server.url}/controlPlane/v1/event/triggered/sh.keptn.event.deployment.triggered`, { headers: { 'x-token': executorToken } });
    expect(await bare.json()).toMatchObject({ events: [], totalCount: 0, nextPageKey: '0' });
  });

  it('the release goes through every stage, and the stream reads like Keptn’s', async () => {
    const triggered = await call('POST', '/api/v1/projects/sockshop/releases', { artifacts: { carts: IMAGE }, stage: 'dev', commit: 'ca82a6d' });
    expect(triggered.status).toBe(201);

    const deadline = Date.now() + 60_000;
    let events: KeptnCloudEvent[] = [];
    while (Date.now() < deadline) {
      events = await stream();
      if (events.some((e) => e.type === 'sh.keptn.event.production.delivery.finished')) break;
      expect(executor.errors).toEqual([]);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(executor.errors).toEqual([]);

    const task = (t: string, started = true) => [`sh.keptn.event.${t}.triggered`, ...(started ? [`sh.keptn.event.${t}.started`] : []), `sh.keptn.event.${t}.finished`];
    expect(events.map((e) => e.type)).toEqual([
      'sh.keptn.event.dev.delivery.triggered',
      ...task('deployment'),
      ...task('test'),
      ...task('evaluation'),
      'sh.keptn.event.dev.delivery.finished',
      'sh.keptn.event.staging.delivery.triggered',
      ...task('deployment'),
      ...task('test'),
      ...task('evaluation'),
      'sh.keptn.event.staging.delivery.finished',
      'sh.keptn.event.production.delivery.triggered',
      ...task('deployment'),
      ...task('release'),
      'sh.keptn.event.production.delivery.finished',
    ]);
    // One Keptn context for the release in every stage; every id a UUID; every answer names its .triggered.
    expect(new Set(events.map((e) => e.shkeptncontext)).size).toBe(1);
    for (const e of events) expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const e of events.filter((x) => /\.(started|finished)$/.test(x.type))) {
      const t = byId.get(e.triggeredid ?? '');
      expect(t?.type, `${e.type} names ${e.triggeredid}`).toBe(e.type.replace(/\.(started|finished)$/, '.triggered'));
      expect(t?.data.stage).toBe(e.data.stage);
    }
    for (const e of events.filter((x) => x.type.endsWith('.finished'))) expect(e.data).toMatchObject({ status: 'succeeded', result: 'pass' });

    // What the executor received is what the stream says was sent.
    expect(executor.received.map((e) => `${e.type} ${e.data.stage}`)).toEqual(events.filter((e) => e.type.endsWith('.triggered') && !e.type.includes('.delivery.')).map((e) => `${e.type} ${e.data.stage}`));

    const at = (type: string, stage: string) => events.find((e) => e.type === type && e.data.stage === stage)!;
    // Compared with Keptn's own events, field by field.
    const stagingDeploy = at('sh.keptn.event.deployment.triggered', 'staging');
    expectShapeOf(stagingDeploy, conformance('trace_deployment.triggered_staging_by-shipyard-controller'), '$', new Set(['$.data.result', '$.data.status', '$.data.message']));
    expect(stagingDeploy.data).toMatchObject({
      project: 'sockshop',
      stage: 'staging',
      service: 'carts',
      configurationChange: { values: { image: IMAGE } },
      deployment: { deploymentstrategy: 'blue_green_service', deploymentURIsLocal: ['http://carts.sockshop-dev:80'] },
      test: { start: '2022-01-17T11:41:19.452Z' },
      evaluation: { result: 'pass', score: 100 },
    });
    const stagingFinished = at('sh.keptn.event.deployment.finished', 'staging');
    expectShapeOf(stagingFinished, conformance('trace_deployment.finished_staging_by-helm-service'), '$');
    expect(stagingFinished).toMatchObject({ source: 'helm-service', data: { message: 'Successfully deployed', deployment: { deploymentURIsLocal: ['http://carts.sockshop-staging:80'] } } });
    expectShapeOf(at('sh.keptn.event.dev.delivery.triggered', 'dev'), conformance('trace_dev.delivery.triggered_from-cli'), '$', new Set(['$.data.deployment']));
    expectShapeOf(at('sh.keptn.event.test.finished', 'dev'), conformance('spec_test-finished'), '$', new Set(['$.gitcommitid', '$.data.labels.label-key', '$.data.test.gitCommit']));
    // The test in each stage got the URIs the deployment before it returned.
    const tests = executor.received.filter((e) => e.type === 'sh.keptn.event.test.triggered');
    expect(tests.map((e) => [e.data.stage, (e.data['deployment'] as { deploymentURIsLocal: string[] }).deploymentURIsLocal])).toEqual([
      ['dev', ['http://carts.sockshop-dev:80']],
      ['staging', ['http://carts.sockshop-staging:80']],
    ]);
    expect(tests.map((e) => e.data['test'])).toEqual([{ teststrategy: 'functional' }, { teststrategy: 'performance', start: '2022-01-17T11:41:19.452Z', end: '2022-01-17T11:41:44.207Z' }]);

    // Slipway's own view agrees: the release passed every stage.
    const runs = await call('GET', '/api/v1/runs?project=sockshop');
    const list = runs.body['runs'] as { stage: string; state: string; tasks: { name: string; kind: string }[] }[];
    expect(list.map((r) => `${r.stage} ${r.state}`).sort()).toEqual(['dev succeeded', 'production succeeded', 'staging succeeded']);
    // Keptn's `release` runs as keptn.release (a built-in has that name), yet a token scoped execute:release served it.
    expect(list.find((r) => r.stage === 'production')?.tasks.map((t) => `${t.name}:${t.kind}`)).toEqual(['deployment:deployment', 'release:keptn.release']);
  }, 90_000);

  it('another source (or the same source name with another token) cannot start or finish a task the first one started: 409 NOT_CLAIM_HOLDER, and its result counts for nothing', () => {
    expect(intruderStart).toHaveLength(1);
    expect(intruderStart[0]).toMatchObject({ status: 409, body: { code: 409, reason: 'NOT_CLAIM_HOLDER' } });
    expect(intruder).toHaveLength(1);
    expect(intruder[0]).toMatchObject({ status: 409, body: { code: 409, reason: 'NOT_CLAIM_HOLDER' } });
    expect(String(intruder[0]!.body['message'])).toContain("claimed by 'helm-service', not by source 'jmeter-service'");
    expect(impostor).toHaveLength(1);
    expect(impostor[0]).toMatchObject({ status: 409, body: { code: 409, reason: 'NOT_CLAIM_HOLDER' } });
  });

  it('refuses a Keptn answer that names no open triggered event, or is not an answer', async () => {
    const headers = { 'x-token': executorToken };
    const ghost = await postKeptnEvent(api, headers, { specversion: '1.0', id: 'x1', source: 'helm-service', type: 'sh.keptn.event.deployment.finished', triggeredid: '00000000-0000-5000-8000-000000000000', data: { project: 'sockshop', stage: 'dev', service: 'carts', result: 'pass' } });
    expect(ghost).toMatchObject({ status: 404, body: { code: 404, reason: 'NOT_FOUND', fields: 'triggeredid' } });
    const sequence = await postKeptnEvent(api, headers, { specversion: '1.0', id: 'x2', source: 'cli', type: 'sh.keptn.event.dev.delivery.triggered', data: { project: 'sockshop', stage: 'dev', service: 'carts' } });
    expect(sequence).toMatchObject({ status: 400, body: { code: 400, reason: 'INVALID_INPUT', fields: 'type' } });
  });
});
