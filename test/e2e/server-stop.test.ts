/**
 * `slipway server` stopping while a request never finishes (a client that sent half a body):
 * the stop says what it waits for, cuts the request after its grace period and exits 0,
 * instead of hanging until its 20 s limit and exiting 1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startServerProcess } from './support/server-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-stop-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a stop names the request in flight, cuts it after the grace period and exits 0', async () => {
  const token = 'slw_stop-test-admin-token-0123456789abcdef';
  const server = await startServerProcess(['--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: token });
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  // Headers and part of a body: the server holds the request open, waiting for the rest. The
  // server answers `Expect: 100-continue` once it has taken the request in, so the test knows the
  // request is in flight before it stops the server (a fixed wait was not always enough).
  const continued = new Promise<void>((r) => socket.on('data', (d: Buffer) => d.toString().includes('100 Continue') && r()));
  socket.write(`POST /api/v1/projects/shop/releases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  await continued;
  socket.write('{"artifacts":');
  const started = Date.now();
  const code = await server.stop();
  const took = Date.now() - started;
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  socket.destroy();
  expect(code, server.stderr()).toBe(0);
  expect(server.stderr()).toContain('still stopping: waiting for HTTP requests in flight: POST /api/v1/projects/shop/releases');
  // Cut at the grace period (5 s), well before the 20 s limit that exits 1.
  expect(took).toBeLessThan(15_000);
}, 30_000);
