/**
 * The CLI's client sends a request again when the answer says no replica could take it:
 * 503 NO_ACTIVE_REPLICA (between a failure and the takeover) and 503 LEASE_LOST (a replica
 * that had just lost the engine lease). A change goes with an Idempotency-Key, the same on
 * every try, so it is sent again even where it may have been applied (`forwarded: true`: the
 * active replica died under it) and while the server says its first try is still running (409
 * IDEMPOTENCY_KEY_IN_FLIGHT). Other errors are not retried. A real HTTP server on 127.0.0.1
 * plays the replicas; test/cli/idempotent-retry.test.ts resends to a real server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/cli/client.js';

let server: Server;
let url: string;
/** What the server answers next, in order; then 200. */
let script: { status: number; code: string; forwarded?: true }[] = [];
let received = 0;
/** The Idempotency-Key of each request received (null: none). */
let keys: (string | null)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received++;
    const key = req.headers['idempotency-key'];
    keys.push(typeof key === 'string' ? key : null);
    const next = script.shift();
    if (next) {
      res.writeHead(next.status, { 'content-type': 'application/json', 'retry-after': '0.05' });
      return res.end(JSON.stringify({ code: next.code, message: `answered ${next.code}`, ...(next.forwarded ? { forwarded: true } : {}) }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('CLI client retries', () => {
  it('503 LEASE_LOST and 503 NO_ACTIVE_REPLICA are sent again after Retry-After, until an answer', async () => {
    script = [
      { status: 503, code: 'LEASE_LOST' },
      { status: 503, code: 'NO_ACTIVE_REPLICA' },
    ];
    received = 0;
    const answer = await new Client({ server: url }).request<{ ok: boolean }>('POST', '/api/v1/tokens', { body: {} });
    expect(answer.ok).toBe(true);
    expect(received).toBe(3);
  });

  it('a change the standby forwarded to a replica that died (503 forwarded: true) is sent again with the same Idempotency-Key', async () => {
    script = [
      { status: 503, code: 'NO_ACTIVE_REPLICA', forwarded: true },
      { status: 409, code: 'IDEMPOTENCY_KEY_IN_FLIGHT' },
    ];
    received = 0;
    keys = [];
    const answer = await new Client({ server: url }).request<{ ok: boolean }>('POST', '/api/v1/projects/shop/releases', { body: {} });
    expect(answer.ok).toBe(true);
    expect(received).toBe(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it('each change has a key of its own; a read has none', async () => {
    keys = [];
    const client = new Client({ server: url });
    await client.request('PUT', '/api/v1/secrets/a', { body: { value: 'x' } });
    await client.request('DELETE', '/api/v1/tokens/t');
    await client.request('GET', '/api/v1/runs');
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys.slice(0, 2).every((k) => typeof k === 'string')).toBe(true);
    expect(keys[2]).toBeNull();
  });

  it('a server not listening is reported at once, not waited for', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(new Client({ server: `http://127.0.0.1:${port}` }).request('POST', '/api/v1/tokens', { body: {} })).rejects.toThrow(/cannot reach the Slipway server at .*ECONNREFUSED/);
  });

  it('another 503 (the server stopping) is not retried', async () => {
    script = [{ status: 503, code: 'SHUTTING_DOWN' }];
    received = 0;
    await expect(new Client({ server: url }).request('GET', '/api/v1/runs')).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(received).toBe(1);
  });
});
