/**
 * The live event stream in Keptn's dialect (`GET /api/v1/events/stream?project=…&dialect=keptn`)
 * against a real `slipway server` running a Keptn shipyard, answered by a Keptn-protocol executor.
 * A reader connected before the release, a reader replaying from the start, and a reader joining
 * mid-log all receive Keptn's types in Keptn's order with the same ids as Keptn's datastore route:
 * the one joining mid-log still gets the release's context, which its fold read from the store.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SseStream } from '../api/sse.js';
import { openStream } from '../api/sse.js';
import type { KeptnCloudEvent } from './support/keptn-executor.js';
import { KeptnExecutor } from './support/keptn-executor.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';

const ADMIN = 'slw_e2e-admin-token-keptn-events-sse-0123456';

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
`;

const task = (t: string) => [`sh.keptn.event.${t}.triggered`, `sh.keptn.event.${t}.started`, `sh.keptn.event.${t}.finished`];
const EXPECTED = [
  'sh.keptn.event.dev.delivery.triggered',
  ...task('deployment'),
  ...task('test'),
  'sh.keptn.event.dev.delivery.finished',
  'sh.keptn.event.staging.delivery.triggered',
  ...task('deployment'),
  ...task('test'),
  'sh.keptn.event.staging.delivery.finished',
];

describe('the event stream in Keptn’s dialect', () => {
  let dir: string;
  let server: ServerProcess;
  let executor: KeptnExecutor;
  let live: SseStream;
  const opened: SseStream[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const open = async (query: string) => {
    const s = await openStream(`${server.url}/api/v1/events/stream?${query}`, { authorization: `Bearer ${ADMIN}` });
    opened.push(s);
    return s;
  };
  const parsed = (s: SseStream) => s.messages.map((m) => ({ seq: Number(m.id), event: m.event, ce: JSON.parse(m.data) as KeptnCloudEvent }));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-keptn-events-'));
    await mkdir(join(dir, 'sockshop'));
    await writeFile(join(dir, 'sockshop', 'shipyard.yaml'), SHIPYARD);
    await writeFile(join(dir, 'sockshop', 'slipway.keptn.yaml'), 'keptn:\n  project: sockshop\n');
    server = await startServerProcess(['sockshop', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    const made = await call('POST', '/api/v1/tokens', { name: 'keptn-executor', scopes: ['execute:deployment', 'execute:test'] });
    expect(made.status).toBe(201);
    executor = new KeptnExecutor({
      api: `${server.url}/api`,
      token: made.body['token'] as string,
      source: 'helm-service',
      project: 'sockshop',
      tasks: {
        deployment: (e) => ({ data: { deployment: { deploymentstrategy: (e.data['deployment'] as { deploymentstrategy: string }).deploymentstrategy, deploymentURIsLocal: [`http://carts.sockshop-${e.data.stage}:80`] } } }),
        test: () => ({ data: { test: { start: '2022-01-17T11:41:19.452Z', end: '2022-01-17T11:41:44.207Z' } } }),
      },
    });
    executor.start();
    live = await open('project=sockshop&dialect=keptn');
    expect(live.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    for (const s of opened) s.close();
    await executor?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses dialect=keptn without a project, and an unknown dialect', async () => {
    const noProject = await fetch(`${server.url}/api/v1/events/stream?dialect=keptn`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(noProject.status).toBe(400);
    expect(JSON.stringify(await noProject.json())).toContain('project=NAME');
    const unknown = await fetch(`${server.url}/api/v1/events/stream?project=sockshop&dialect=cdevents`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(unknown.status).toBe(400);
    await unknown.body?.cancel();
  });

  it('a live reader, a reader from the start and one joining mid-log get Keptn’s events in Keptn’s order', async () => {
    const triggered = await call('POST', '/api/v1/projects/sockshop/releases', { artifacts: { carts: 'docker.io/keptnexamples/carts:0.13.3' }, stage: 'dev' });
    expect(triggered.status).toBe(201);
    await live.waitFor(EXPECTED.length, 60_000);
    expect(executor.errors).toEqual([]);
    const got = parsed(live);
    expect(got.map((m) => m.ce.type)).toEqual(EXPECTED);
    // The SSE event name is the Keptn type; every id a UUID; one context for the release in both stages.
    for (const m of got) expect(m.event).toBe(m.ce.type);
    for (const m of got) expect(m.ce.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(got.map((m) => m.ce.shkeptncontext)).size).toBe(1);
    for (const m of got) expect(m.ce).toMatchObject({ specversion: '1.0', shkeptnspecversion: expect.any(String), data: { project: 'sockshop', service: 'carts' } });
    // What dev's deployment returned reaches staging's test, as Keptn carried it.
    const stagingTest = got.find((m) => m.ce.type === 'sh.keptn.event.test.triggered' && m.ce.data.stage === 'staging');
    expect(stagingTest?.ce.data['deployment']).toMatchObject({ deploymentURIsLocal: ['http://carts.sockshop-staging:80'] });

    // The same events, with the same ids, as Keptn's datastore route answers.
    const store = await call('GET', '/api/mongodb-datastore/event?project=sockshop&pageSize=100');
    const fromStore = (store.body['events'] as KeptnCloudEvent[]).map((e) => `${e.type} ${e.id}`);
    expect(got.map((m) => `${m.ce.type} ${m.ce.id}`)).toEqual(fromStore);

    // From the start of the log: the same.
    const replay = await open('project=sockshop&dialect=keptn&after=0');
    await replay.waitFor(EXPECTED.length);
    expect(parsed(replay).map((m) => `${m.ce.type} ${m.ce.id}`)).toEqual(fromStore);
    // The same, gzip-compressed for a client that takes it (as fetch and browsers do).
    const gz = await openStream(`${server.url}/api/v1/events/stream?project=sockshop&dialect=keptn&after=0`, { authorization: `Bearer ${ADMIN}` }, { gzip: true });
    opened.push(gz);
    await gz.waitFor(EXPECTED.length);
    expect(gz.encoding).toBe('gzip');
    expect(gz.messages).toEqual(replay.messages.slice(0, gz.messages.length));
    expect(gz.decodeError()).toBeUndefined();

    // Joining after dev finished: only what follows, but in the release's context and with staging's carried data.
    const cut = got.find((m) => m.ce.type === 'sh.keptn.event.dev.delivery.finished')!.seq;
    const rest = got.filter((m) => m.seq > cut);
    const mid = await open(`project=sockshop&dialect=keptn&after=${cut}`);
    await mid.waitFor(rest.length);
    expect(parsed(mid).map((m) => m.ce)).toEqual(rest.map((m) => m.ce));
  }, 90_000);

  it('without dialect the stream still speaks Slipway’s format', async () => {
    const plain = await open('project=sockshop&after=0');
    const [first] = await plain.waitFor(1);
    expect(first!.event).toMatch(/^sh\.slipway\./);
  });
});
