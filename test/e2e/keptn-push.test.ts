/**
 * A push subscription in Keptn's dialect, against a real `slipway server`: a receiver on
 * 127.0.0.1 that speaks only Keptn (as a service behind Keptn's distributor or webhook-service
 * did) gets each task's `.triggered` CloudEvent, signed, exactly as the executor API returns
 * it, and answers `.started` / `.finished` on `POST /api/v1/event` with the token the
 * subscription names. A release of two services gets one event per service; another token
 * cannot answer a pushed task. The subscription is made with the CLI.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/api/push/signature.js';
import type { KeptnCloudEvent } from './support/keptn-executor.js';
import { answer, postKeptnEvent } from './support/keptn-executor.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-keptn-push-0123456789ab';

const SHIPYARD = `apiVersion: "spec.keptn.sh/0.2.3"
kind: "Shipyard"
metadata: {name: "shipyard-sockshop"}
spec:
  stages:
    - name: "dev"
      sequences:
        - name: "delivery"
          tasks:
            - name: "deployment"
              properties: {deploymentstrategy: "direct"}
            - name: "test"
              properties: {teststrategy: "functional"}
`;

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  event: KeptnCloudEvent;
}

describe('a push subscription in Keptn’s dialect', () => {
  let dir: string;
  let server: ServerProcess;
  let receiver: Server;
  let receiverUrl: string;
  let receiverToken: string;
  let otherToken: string;
  const secrets: Record<string, string> = {};
  const deliveries: Delivery[] = [];
  const answers: { status: number; body: Record<string, unknown> }[] = [];
  const intruder: { status: number; body: Record<string, unknown> }[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-keptn-push-'));
    await mkdir(join(dir, 'sockshop'));
    await writeFile(join(dir, 'sockshop', 'shipyard.yaml'), SHIPYARD);
    await writeFile(join(dir, 'sockshop', 'slipway.keptn.yaml'), 'keptn:\n  project: sockshop\n');
    server = await startServerProcess(['sockshop', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    const api = `${server.url}/api`;
    receiverToken = (await call('POST', '/api/v1/tokens', { name: 'helm-receiver', scopes: ['execute:deployment', 'execute:test'] })).body['token'] as string;
    otherToken = (await call('POST', '/api/v1/tokens', { name: 'jmeter', scopes: ['execute:test'] })).body['token'] as string;

    // The receiver: acknowledges the delivery, then answers on Keptn's API as a Keptn service does.
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (b: Buffer) => (raw += b.toString()));
      req.on('end', () => {
        const event = JSON.parse(raw) as KeptnCloudEvent;
        deliveries.push({ headers: req.headers, raw, event });
        res.writeHead(202).end();
        void (async () => {
          const headers = { 'x-token': receiverToken };
          if (event.type === 'sh.keptn.event.test.triggered' && event.data.service === 'carts') {
            // Someone else's token cannot answer what the subscription holds.
            intruder.push(await postKeptnEvent(api, { 'x-token': otherToken }, answer(event, 'jmeter-service', 'finished', { status: 'succeeded', result: 'fail' })));
          }
          answers.push(await postKeptnEvent(api, headers, answer(event, 'helm-service', 'started')));
          const task = event.type.split('.')[3];
          const data = task === 'deployment' ? { deployment: { deploymentURIsLocal: [`http://${event.data.service}.sockshop-dev:80`] } } : { test: { result: 'ok' } };
          answers.push(await postKeptnEvent(api, headers, answer(event, 'helm-service', 'finished', { status: 'succeeded', result: 'pass', message: `${task} of ${event.data.service} done`, ...data })));
        })();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/keptn`;

    const env = { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN };
    for (const kind of ['deployment', 'test']) {
      const cli = slipway(['subscription', 'create', '--kind', kind, '--url', receiverUrl, '--dialect', 'keptn', '--token', 'helm-receiver', '--json'], dir, env);
      const { code } = await cli.exited;
      expect(code, cli.stderr()).toBe(0);
      const made = JSON.parse(cli.stdout()) as { secret: string; dialect: string; token: string };
      expect(made).toMatchObject({ dialect: 'keptn', token: 'helm-receiver' });
      secrets[kind] = made.secret;
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((r) => receiver?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers Keptn’s .triggered events per service, takes Keptn’s answers from the named token only, and the release passes', async () => {
    const triggered = await call('POST', '/api/v1/projects/sockshop/releases', { artifacts: { carts: 'carts:1', orders: 'orders:1' }, stage: 'dev' });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(201);
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline) {
      const runs = await call('GET', '/api/v1/runs?project=sockshop');
      state = (runs.body['runs'] as { state: string }[])[0]?.state ?? '';
      if (state === 'succeeded' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('succeeded');
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

    // One delivery per task and service, each Keptn's event as the executor API gives it, signed with the subscription's secret.
    expect(deliveries.map((d) => `${d.event.type} ${d.event.data.service}`).sort()).toEqual([
      'sh.keptn.event.deployment.triggered carts',
      'sh.keptn.event.deployment.triggered orders',
      'sh.keptn.event.test.triggered carts',
      'sh.keptn.event.test.triggered orders',
    ]);
    for (const d of deliveries) {
      expect(d.headers['content-type']).toBe('application/cloudevents+json');
      expect(verifySignature(secrets[d.event.type.split('.')[3]!]!, d.headers['x-slipway-timestamp'] as string, d.raw, d.headers['x-slipway-signature'] as string, Date.now())).toBe(true);
      expect(Object.keys(d.event)).not.toContain('leasetoken');
    }
    const page = await call('GET', '/api/mongodb-datastore/event?project=sockshop&pageSize=100');
    const stream = page.body['events'] as KeptnCloudEvent[];
    for (const d of deliveries) expect(stream.find((e) => e.id === d.event.id)).toEqual(d.event);
    // What the deployment returned reached the test, per service.
    const test = deliveries.find((d) => d.event.type === 'sh.keptn.event.test.triggered' && d.event.data.service === 'orders')!;
    expect(test.event.data).toMatchObject({ project: 'sockshop', stage: 'dev', service: 'orders', configurationChange: { values: { image: 'orders:1' } }, deployment: { deploymentURIsLocal: ['http://orders.sockshop-dev:80'] }, test: { teststrategy: 'functional' } });

    expect(intruder).toHaveLength(1);
    expect(intruder[0]).toMatchObject({ status: 409, body: { code: 409, reason: 'NOT_CLAIM_HOLDER' } });
    expect(String(intruder[0]!.body['message'])).toMatch(/was pushed by subscription:sub_.*; only the token that subscription names may answer it, not token:jmeter/);
    const finished = stream.filter((e) => e.type === 'sh.keptn.event.test.finished');
    expect(finished.map((e) => [e.data.service, e.data['result'], e.data['message']]).sort()).toEqual([
      ['carts', 'pass', 'test of carts done'],
      ['orders', 'pass', 'test of orders done'],
    ]);
  }, 60_000);

  it('refuses a Keptn-dialect subscription without a token that can answer, naming the fix', async () => {
    const none = await call('POST', '/api/v1/subscriptions', { kind: 'test', url: receiverUrl, dialect: 'keptn' });
    expect(none).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT', field: 'token' } });
    const weak = await call('POST', '/api/v1/subscriptions', { kind: 'deployment', url: receiverUrl, dialect: 'keptn', token: 'jmeter' });
    expect(weak).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT', field: 'token' } });
    expect(String(weak.body['message'])).toContain('execute:deployment');
    const list = await call('GET', '/api/v1/subscriptions');
    expect((list.body['subscriptions'] as { dialect: string; token?: string }[]).map((s) => `${s.dialect}:${s.token ?? ''}`)).toEqual(['keptn:helm-receiver', 'keptn:helm-receiver']);
  });
});
