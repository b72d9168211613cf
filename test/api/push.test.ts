/**
 * Push subscriptions against a real HTTP receiver on 127.0.0.1 that checks signatures
 * with verifySignature: deliveries are signed and accepted, tampered or replayed ones are
 * refused, failures are retried and then fail the task, and an aborted run sends notice.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sign, verifySignature } from '../../src/api/index.js';
import { eventually, startHarness, type Harness } from './harness.js';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Status to answer valid deliveries with (default 200). */
  status: number;
  post(body: string, headers: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

const SECRET = 'a-test-secret-of-enough-length';

async function receiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const r = { status: 200 } as Receiver;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const verified = verifySignature(SECRET, req.headers['x-slipway-timestamp'] as string | undefined, body, req.headers['x-slipway-signature'] as string | undefined, Date.now());
      deliveries.push({ headers: req.headers, body, verified });
      res.statusCode = verified ? r.status : 401;
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/slipway`;
  r.deliveries = deliveries;
  r.post = async (body, headers) => (await fetch(r.url, { method: 'POST', body, headers: { 'content-type': 'application/cloudevents+json', ...headers } })).status;
  r.close = () => new Promise((ok) => server.close(() => ok()));
  return r;
}

let h: Harness;
let rx: Receiver;
afterEach(async () => {
  await h.close();
  await rx.close();
});

async function setUp(push = {}) {
  h = await startHarness({ push: { attempts: 3, baseDelayMs: 20, timeoutMs: 2000, ...push } });
  rx = await receiver();
  const sub = await h.call('POST', '/api/v1/subscriptions', { body: { kind: 'pytest', url: rx.url, secret: SECRET } });
  expect(sub.statusCode).toBe(201);
  return sub.json() as { id: string; secret: string };
}
const trigger = async () => (await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'api:1' } } })).json() as { runId: string };
const run = (id: string) => h.slipway.store.getRun(id);

describe('push subscriptions', () => {
  it('deliver the signed .triggered event with its claim; the receiver reports back with an execute token and that claim', async () => {
    const sub = await setUp();
    expect(sub.secret).toBe(SECRET);
    const { runId } = await trigger();
    const d = await eventually(() => rx.deliveries[0]);
    expect(d.verified).toBe(true);
    expect(d.headers['content-type']).toBe('application/cloudevents+json');
    const event = JSON.parse(d.body) as { id: string; type: string; taskid: string; executor: string; leasetoken: string; data: { artifacts: object; properties: object } };
    expect(event).toMatchObject({ type: 'sh.slipway.task.test.triggered', taskid: `${runId}.test.1`, executor: `subscription:${sub.id}`, data: { artifacts: { api: 'api:1' }, properties: { suite: 'smoke' } } });
    expect(event.leasetoken).toMatch(/^sll_/);
    expect((await run(runId))!.tasks[0]!.state).toBe('started');

    const report = (id: string, claim: object) =>
      h.call('POST', '/api/v1/events', {
        token: h.tokens.execute,
        body: JSON.stringify({ specversion: '1.0', id, source: 'urn:receiver', type: 'sh.slipway.task.test.finished', taskid: event.taskid, ...claim, data: { result: 'pass' } }),
        headers: { 'content-type': 'application/cloudevents+json' },
      });
    // Only the receiver that got the task holds it: without the pushed claim a report is refused.
    const forged = await report('rx-0', { executor: event.executor });
    expect(forged.statusCode).toBe(409);
    expect(forged.json()).toMatchObject({ code: 'NOT_CLAIM_HOLDER', field: 'taskid' });
    const fin = await report('rx-1', { executor: event.executor, leasetoken: event.leasetoken });
    expect(fin.json()).toStrictEqual({ id: 'rx-1', applied: true });
    await eventually(async () => (await run(runId))?.state === 'succeeded' || undefined);
    expect(rx.deliveries).toHaveLength(1);
  });

  it('a receiver refuses a tampered body and a replayed (stale) delivery', async () => {
    await setUp();
    await trigger();
    const d = await eventually(() => rx.deliveries[0]);
    const ts = d.headers['x-slipway-timestamp'] as string;
    const sig = d.headers['x-slipway-signature'] as string;
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(await rx.post(d.body, { 'x-slipway-timestamp': ts, 'x-slipway-signature': sig })).toBe(200);
    expect(await rx.post(d.body.replace('api:1', 'api:2'), { 'x-slipway-timestamp': ts, 'x-slipway-signature': sig })).toBe(401);
    const old = String(Date.now() - 10 * 60_000);
    expect(await rx.post(d.body, { 'x-slipway-timestamp': old, 'x-slipway-signature': sign(SECRET, old, d.body) })).toBe(401);
    expect(await rx.post(d.body, { 'x-slipway-timestamp': ts, 'x-slipway-signature': sign('another-secret-entirely', ts, d.body) })).toBe(401);
  });

  it('retries a failing receiver with backoff, then fails the task naming the receiver', async () => {
    await setUp();
    rx.status = 503;
    const { runId } = await trigger();
    const failed = await eventually(async () => {
      const r = await run(runId);
      return r?.state === 'failed' ? r : undefined;
    });
    expect(rx.deliveries).toHaveLength(3);
    expect(failed.tasks[0]!.message).toBe(`push delivery to ${new URL(rx.url).origin} failed: HTTP 503`);
  });

  it('does not retry a receiver that refuses the delivery (4xx)', async () => {
    await setUp();
    rx.status = 422;
    const { runId } = await trigger();
    await eventually(async () => (await run(runId))?.state === 'failed' || undefined);
    expect(rx.deliveries).toHaveLength(1);
  });

  it('tells the receiver when the run of a task it holds is aborted', async () => {
    await setUp();
    const { runId } = await trigger();
    await eventually(() => rx.deliveries[0]);
    await h.call('POST', `/api/v1/runs/${runId}/abort`, { token: h.tokens.trigger, body: { reason: 'wrong build' } });
    const notice = await eventually(() => rx.deliveries[1]);
    expect(notice.verified).toBe(true);
    expect(JSON.parse(notice.body)).toMatchObject({ type: 'sh.slipway.task.test.aborted', taskid: `${runId}.test.1`, data: { reason: 'wrong build' } });
  });

  it('subscriptions are listed without secrets, deleted, and refused for built-in kinds', async () => {
    const { id } = await setUp();
    const list = await h.call('GET', '/api/v1/subscriptions');
    expect(list.body).not.toContain(SECRET);
    expect(list.json()).toMatchObject({ subscriptions: [{ id, kind: 'pytest', url: rx.url }] });
    expect((await h.call('POST', '/api/v1/subscriptions', { body: { kind: 'shell', url: rx.url } })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'kind' });
    expect((await h.call('POST', '/api/v1/subscriptions', { body: { kind: 'pytest', url: 'ftp://x' } })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'url' });
    const generated = (await h.call('POST', '/api/v1/subscriptions', { body: { kind: 'lint', url: rx.url } })).json() as { secret: string };
    expect(generated.secret).toMatch(/^whsec_/);
    expect((await h.call('DELETE', `/api/v1/subscriptions/${id}`)).statusCode).toBe(204);
    expect((await h.call('DELETE', `/api/v1/subscriptions/${id}`)).json()).toMatchObject({ code: 'UNKNOWN_SUBSCRIPTION' });
    // With the subscription gone, a task of its kind waits for someone to claim it.
    await trigger();
    await eventually(() => h.slipway.engine.backlog()['pytest'] === 1 || undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.deliveries).toHaveLength(0);
  });
});

describe('verifySignature', () => {
  const body = '{"id":"1"}';
  const now = 1_700_000_000_000;
  const ts = String(now);
  it('accepts the signature of the body within the window, and one of several', () => {
    expect(verifySignature(SECRET, ts, body, sign(SECRET, ts, body), now)).toBe(true);
    expect(verifySignature(SECRET, ts, body, sign(SECRET, ts, body), now + 299_000)).toBe(true);
    expect(verifySignature(SECRET, ts, body, `v1=${'0'.repeat(64)}, ${sign(SECRET, ts, body)}`, now)).toBe(true);
  });
  it('refuses another body, secret or timestamp, a stale or future timestamp, and missing parts', () => {
    const sig = sign(SECRET, ts, body);
    expect(verifySignature(SECRET, ts, `${body} `, sig, now)).toBe(false);
    expect(verifySignature('other', ts, body, sig, now)).toBe(false);
    expect(verifySignature(SECRET, String(now + 1), body, sig, now)).toBe(false);
    expect(verifySignature(SECRET, ts, body, sig, now + 301_000)).toBe(false);
    expect(verifySignature(SECRET, ts, body, sig, now - 301_000)).toBe(false);
    expect(verifySignature(SECRET, ts, body, sig, now + 60_000, 30_000)).toBe(false);
    expect(verifySignature(SECRET, undefined, body, sig, now)).toBe(false);
    expect(verifySignature(SECRET, ts, body, undefined, now)).toBe(false);
    expect(verifySignature(SECRET, 'abc', body, sig, now)).toBe(false);
    expect(verifySignature(SECRET, ts, body, sig.toUpperCase(), now)).toBe(false);
  });
});
