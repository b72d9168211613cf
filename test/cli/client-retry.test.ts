/**
 * The CLI's client sends a request again when the answer says no replica could take it and
 * nothing was written: 503 NO_ACTIVE_REPLICA (between a failure and the takeover) and 503
 * LEASE_LOST (a replica that had just lost the engine lease). Other errors are not retried.
 * A real HTTP server on 127.0.0.1 plays the replicas.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/cli/client.js';

let server: Server;
let url: string;
/** What the server answers next, in order; then 200. */
let script: { status: number; code: string }[] = [];
let received = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    received++;
    const next = script.shift();
    if (next) {
      res.writeHead(next.status, { 'content-type': 'application/json', 'retry-after': '0.05' });
      return res.end(JSON.stringify({ code: next.code, message: `answered ${next.code}` }));
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

  it('another 503 (the server stopping) is not retried', async () => {
    script = [{ status: 503, code: 'SHUTTING_DOWN' }];
    received = 0;
    await expect(new Client({ server: url }).request('GET', '/api/v1/runs')).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(received).toBe(1);
  });
});
