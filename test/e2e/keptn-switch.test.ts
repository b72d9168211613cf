/**
 * `spec.keptn: {events: true}` in a slipway.yaml: such a project is served to Keptn's tools as
 * a shipyard project is. Its `test` task is taken by a Keptn-protocol executor (polling Keptn's
 * control-plane API, answering with Keptn's events); its events read back through the
 * datastore route and the stream with `dialect=keptn`. A project without the switch is refused
 * on each of those routes with an error that names the switch.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeptnCloudEvent } from './support/keptn-executor.js';
import { KeptnExecutor, answer, postKeptnEvent } from './support/keptn-executor.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';

const ADMIN = 'slw_e2e-admin-token-keptn-switch-0123456789';

const pipeline = (name: string, keptn: boolean) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ${name}}
spec:
  outsideKinds: [test]
${keptn ? '  keptn: {events: true}\n' : ''}  stages:
    - name: dev
      tasks:
        - name: test
          kind: test
          properties: {teststrategy: functional}
`;

describe('a slipway.yaml project with keptn: {events: true}', () => {
  let dir: string;
  let server: ServerProcess;
  let api: string;
  let token: string;
  let executor: KeptnExecutor;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-keptn-switch-'));
    await writeFile(join(dir, 'slipway.yaml'), pipeline('shop', true));
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    api = `${server.url}/api`;
    const put = await call('PUT', '/api/v1/projects/plain', pipeline('plain', false));
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    const made = await call('POST', '/api/v1/tokens', { name: 'jmeter', scopes: ['execute:test'] });
    token = made.body['token'] as string;
    executor = new KeptnExecutor({
      api,
      token,
      source: 'jmeter-service',
      project: 'shop',
      tasks: { test: (e) => ({ message: `tested ${e.data.service}`, data: { test: { start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:01:00Z' } } }) },
    });
    executor.start();
  }, 60_000);

  afterAll(async () => {
    await executor?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('its test task is taken and finished by a Keptn-protocol executor, and its events read back in Keptn’s dialect', async () => {
    const triggered = await call('POST', '/api/v1/projects/shop/releases', { artifacts: { web: 'web:1.0.0' }, stage: 'dev' });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(201);
    const deadline = Date.now() + 30_000;
    let events: KeptnCloudEvent[] = [];
    while (Date.now() < deadline) {
      const page = await call('GET', '/api/mongodb-datastore/event?project=shop&pageSize=100');
      expect(page.status).toBe(200);
      events = page.body['events'] as KeptnCloudEvent[];
      if (events.some((e) => e.type === 'sh.keptn.event.dev.delivery.finished')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(executor.errors).toEqual([]);
    expect(events.map((e) => e.type)).toEqual([
      'sh.keptn.event.dev.delivery.triggered',
      'sh.keptn.event.test.triggered',
      'sh.keptn.event.test.started',
      'sh.keptn.event.test.finished',
      'sh.keptn.event.dev.delivery.finished',
    ]);
    expect(executor.received).toHaveLength(1);
    expect(executor.received[0]!.data).toMatchObject({ project: 'shop', stage: 'dev', service: 'web', test: { teststrategy: 'functional' }, configurationChange: { values: { image: 'web:1.0.0' } } });
    expect(events[3]).toMatchObject({ source: 'jmeter-service', data: { status: 'succeeded', result: 'pass', message: 'tested web' } });
    const runs = await call('GET', '/api/v1/runs?project=shop');
    expect((runs.body['runs'] as { state: string }[]).map((r) => r.state)).toEqual(['succeeded']);

    // The live stream in Keptn's dialect, from the start of the log.
    const ctl = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events/stream?project=shop&dialect=keptn&after=0`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: ctl.signal });
    expect(res.status).toBe(200);
    let text = '';
    const reader = res.body!.getReader();
    while (!text.includes('event: sh.keptn.event.dev.delivery.finished')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    ctl.abort();
    expect([...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1])).toEqual(events.map((e) => e.type));
  }, 60_000);

  it('a project without the switch is refused on every Keptn route, and the error names the switch', async () => {
    const triggered = await call('POST', '/api/v1/projects/plain/releases', { artifacts: { web: 'web:2.0.0' }, stage: 'dev' });
    expect(triggered.status).toBe(201);
    const headers = { 'x-token': token };
    const poll = await call('GET', '/api/controlPlane/v1/event/triggered/sh.keptn.event.test.triggered?project=plain', undefined, headers);
    const store = await call('GET', '/api/mongodb-datastore/event?project=plain');
    const stream = await call('GET', '/api/v1/events/stream?project=plain&dialect=keptn');
    for (const r of [poll, store, stream]) {
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(String(r.body['message'])).toContain('keptn: {events: true}');
      expect(String(r.body['message'])).toContain("project 'plain'");
    }
    // Polled without a project, it is not offered; an answer naming it is refused.
    const all = await call('GET', '/api/controlPlane/v1/event/triggered/sh.keptn.event.test.triggered', undefined, headers);
    expect(all.status).toBe(200);
    expect((all.body['events'] as KeptnCloudEvent[]).map((e) => e.data.project)).not.toContain('plain');
    const fake = { id: '00000000-0000-5000-8000-000000000000', type: 'sh.keptn.event.test.triggered', shkeptncontext: 'x', specversion: '1.0', source: 'x', data: { project: 'plain', stage: 'dev', service: 'web' } } as KeptnCloudEvent;
    const posted = await postKeptnEvent(api, headers, answer(fake, 'jmeter-service', 'started'));
    expect(posted.status).toBe(400);
    expect(String(posted.body['message'])).toContain('keptn: {events: true}');
    // Slipway's own executors still serve it: the task waits for a Slipway-protocol claim.
    const runs = await call('GET', '/api/v1/runs?project=plain');
    expect((runs.body['runs'] as { state: string }[]).map((r) => r.state)).toEqual(['running']);
  });

  it('answers refusals on Keptn’s routes as Keptn’s API did, and POST /v1/auth as keptn auth expects', async () => {
    const reader = (await call('POST', '/api/v1/tokens', { name: 'bridge', scopes: ['read'] })).body['token'] as string;
    for (const path of ['/api/v1/auth', '/v1/auth']) {
      const ok = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'x-token': reader } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('');
      const bad = await call('POST', path, undefined, { 'x-token': 'slw_not-a-token-of-this-server' });
      expect(bad).toMatchObject({ status: 401, body: { code: 401, reason: 'UNAUTHORIZED' } });
      expect(String(bad.body['message'])).toContain('not known here');
      const none = await call('POST', path, undefined, {});
      expect(none).toMatchObject({ status: 401, body: { code: 401, reason: 'UNAUTHORIZED' } });
    }
    // An executor token cannot read: keptn auth is for people.
    expect(await call('POST', '/api/v1/auth', undefined, { 'x-token': token })).toMatchObject({ status: 403, body: { code: 403, reason: 'FORBIDDEN' } });

    const triggered = '/api/controlPlane/v1/event/triggered/sh.keptn.event.test.triggered?project=shop';
    expect(await call('GET', triggered, undefined, {})).toMatchObject({ status: 401, body: { code: 401 } });
    expect(await call('GET', triggered, undefined, { 'x-token': reader })).toMatchObject({ status: 403, body: { code: 403, reason: 'FORBIDDEN' } });
    expect(await call('GET', '/api/controlPlane/v1/event/triggered/test?project=shop', undefined, { 'x-token': token })).toMatchObject({ status: 400, body: { code: 400, reason: 'INVALID_INPUT', fields: 'eventType' } });
    expect(await call('GET', '/api/controlPlane/v1/event/triggered/sh.keptn.event.test.triggered?project=nope', undefined, { 'x-token': token })).toMatchObject({ status: 404, body: { code: 404, reason: 'UNKNOWN_PROJECT', fields: 'project' } });
    expect(await call('GET', '/api/mongodb-datastore/event?project=shop&nextPageKey=abc')).toMatchObject({ status: 400, body: { code: 400, reason: 'INVALID_INPUT', fields: 'nextPageKey' } });
    const posted = await fetch(`${api}/v1/event`, { method: 'POST', headers: { 'x-token': token, 'content-type': 'application/json' }, body: '{"type": ' });
    expect(posted.status).toBe(400);
    expect(await posted.json()).toMatchObject({ code: 400, reason: 'INVALID_INPUT', fields: 'body' });
    // Slipway's own routes keep Slipway's shape.
    expect(await call('GET', '/api/v1/runs?project=shop', undefined, {})).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
  });
});
