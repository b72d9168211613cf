import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/index.js';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { createWebhookExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';
import { finished, waitUntil } from './helpers.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const received: Received[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = new URL(req.url!, 'http://x').pathname;
      if (path === '/slow') return; // never answers: abort and deadline tests
      const status = Number(path.slice(1)) || 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(path === '/200' && req.url!.includes('big') ? 'x'.repeat(100_000) + 'END' : `answer ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const webhook = createWebhookExecutor({ outputLimitBytes: 1024 });
let ctx: MockExecutorContext;
afterEach(() => {
  ctx.dispose();
  received.length = 0;
});

function hookTask(properties: Record<string, unknown>, deadlineInMs?: number): MockExecutorContext {
  const now = Date.now();
  return mockExecutorContext({
    now,
    run: { id: 'run-7', artifacts: { web: 'reg/web:2', api: 'reg/api:3' } },
    task: { name: 'notify', kind: 'webhook', properties, ...(deadlineInMs ? { deadline: now + deadlineInMs } : {}) },
  });
}

describe('webhook executor', () => {
  it('passes on 2xx and posts a JSON description of the task by default', async () => {
    ctx = hookTask({ url: `${base}/204` });
    const outcome = finished(await webhook.execute(ctx));
    expect(outcome).toMatchObject({ result: 'pass', output: { status: 204, bodyTail: '' } });
    const [req] = received;
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toMatchObject({
      project: 'demo',
      stage: 'dev',
      sequence: 'delivery',
      releaseId: 'rel-1',
      runId: 'run-7',
      artifacts: { web: 'reg/web:2', api: 'reg/api:3' },
      task: { id: 'run-7.notify.1', name: 'notify', attempt: 1 },
    });
  });

  it('sends x-slipway-task-id so the receiver can act once', async () => {
    ctx = hookTask({ url: `${base}/200`, headers: { 'x-slipway-task-id': 'forged' } });
    await webhook.execute(ctx);
    expect(received[0]?.headers['x-slipway-task-id']).toBe('run-7.notify.1');
  });

  it('sends the given method, headers and body', async () => {
    ctx = hookTask({ url: `${base}/201`, method: 'put', headers: { 'x-env': 'dev' }, body: { hello: 'world' } });
    finished(await webhook.execute(ctx));
    expect(received[0]).toMatchObject({ method: 'PUT', headers: { 'x-env': 'dev' }, body: '{"hello":"world"}' });
    ctx.dispose();
    ctx = hookTask({ url: `${base}/200`, body: 'plain text' });
    await webhook.execute(ctx);
    expect(received[1]).toMatchObject({ body: 'plain text', headers: { 'content-type': 'text/plain; charset=utf-8' } });
  });

  it.each([404, 422, 500, 503, 429])('fails on status %i with the body tail', async (status) => {
    ctx = hookTask({ url: `${base}/${status}` });
    const outcome = finished(await webhook.execute(ctx));
    expect(outcome.result).toBe('fail');
    expect(outcome.message).toContain(`answered ${status}`);
    expect(outcome.output).toEqual({ status, bodyTail: `answer ${status}` });
  });

  it('keeps only the tail of a large answer', async () => {
    ctx = hookTask({ url: `${base}/200?big` });
    const outcome = finished(await webhook.execute(ctx));
    const tail = outcome.output!.bodyTail as string;
    expect(tail.length).toBe(1024);
    expect(tail.endsWith('xEND')).toBe(true);
  });

  it('stops waiting when the run is aborted', async () => {
    ctx = hookTask({ url: `${base}/slow` });
    const outcome = webhook.execute(ctx);
    await waitUntil(() => received.length === 1, 5000, 'the request');
    ctx.abort(new Error('run aborted by erin'));
    expect(await outcome).toEqual({ result: 'fail', message: `aborted (run aborted by erin) while calling POST ${base}` });
  });

  it('lets go without an outcome when Slipway shuts down, to send again after restart', async () => {
    ctx = hookTask({ url: `${base}/slow` });
    const outcome = webhook.execute(ctx);
    await waitUntil(() => received.length === 1, 5000, 'the request');
    ctx.abort(new SlipwayError('SHUTTING_DOWN', 'stopping'));
    await expect(outcome).rejects.toThrow(/Slipway is stopping/);
  });

  it('fails with a timeout when the deadline passes', async () => {
    ctx = hookTask({ url: `${base}/slow` }, 300);
    const outcome = finished(await webhook.execute(ctx));
    expect(outcome).toEqual({ result: 'fail', message: `timed out after 300ms calling POST ${base}` });
  });

  it('throws a retryable error when the receiver cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    ctx = hookTask({ url: `http://127.0.0.1:${port}/hook` });
    const err = await webhook.execute(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toBe(`POST http://127.0.0.1:${port} failed: ECONNREFUSED`);
  });

  it('never logs header values or the URL path, which may hold secrets', async () => {
    ctx = hookTask({ url: `${base}/200/T0KEN-IN-PATH?token=Q-SECRET`, headers: { authorization: 'Bearer H-SECRET' } });
    const outcome = await webhook.execute(ctx);
    const visible = JSON.stringify([ctx.logs, outcome]);
    expect(received[0]?.headers.authorization).toBe('Bearer H-SECRET');
    expect(visible).not.toMatch(/H-SECRET|Q-SECRET|T0KEN-IN-PATH/);
  });

  it('reports a bad url, method or headers', () => {
    expect(webhook.validate!({ url: 'ftp://x' }).map((p) => p.field)).toEqual(['url']);
    expect(webhook.validate!({}).map((p) => p.field)).toEqual(['url']);
    expect(webhook.validate!({ url: 'https://x', method: 'FETCH', headers: { a: 1 } }).map((p) => p.field)).toEqual([
      'method',
      'headers',
    ]);
    expect(webhook.validate!({ url: 'https://example.com/hook', method: 'patch' })).toEqual([]);
  });
});
