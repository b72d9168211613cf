/**
 * `slipway watch <run>` shows every event of the run before its closing line, also when a
 * check of the run's state (the 3 s safety net beside the event stream) finds it finished
 * before the stream delivered its last events. A real HTTP server on 127.0.0.1 plays the API
 * so that this order happens every time: its stream connects and sends nothing; the run's
 * last event is in the log by the time the check finds the run succeeded. (In CI the real
 * order came up once: `exit-gate pass` missing before `run … succeeded`, test/e2e/gate.test.ts.)
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/slipway.js', import.meta.url));
const RUN = 'run-0123456789abcdef0123';
const event = (seq: number, type: string, data: Record<string, unknown>) => ({
  seq,
  event: { specversion: '1.0', id: `e${seq}`, source: 'urn:slipway', type, time: new Date(0).toISOString(), runid: RUN, data: { stage: 'production', ...data } },
});
const LOG = [
  event(1, 'sh.slipway.run.started', {}),
  event(2, 'sh.slipway.task.exit-gate.triggered', {}),
  event(3, 'sh.slipway.task.exit-gate.finished', { result: 'pass' }),
  event(4, 'sh.slipway.run.finished', { state: 'succeeded', result: 'pass' }),
];

let server: Server;
let url: string;
/** How many events of LOG exist so far; the run's state follows. */
let written = 2;
const streams: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/api/v1/events/stream') {
      // Connected, and silent: the stream has not caught up with the log.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': connected\n\n');
      streams.push(res);
      return;
    }
    if (u.pathname === '/api/v1/events') {
      const after = Number(u.searchParams.get('after') ?? 0);
      return json({ events: LOG.slice(0, written).filter((e) => e.seq > after), next: null });
    }
    if (u.pathname === `/api/v1/runs/${RUN}`) {
      // The first check finds the run going; meanwhile it finishes (its last events are logged), and the next check says so.
      const state = written < LOG.length ? 'running' : 'succeeded';
      if (written < LOG.length) written = LOG.length;
      return json({ id: RUN, project: 'shop', stage: 'production', sequence: 'delivery', releaseId: 'rel-1', state, ...(state === 'succeeded' ? { result: 'pass' } : {}), tasks: [] });
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NOT_FOUND', message: `no ${u.pathname} here` }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of streams) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

it("shows the run's last events before its closing line when a state check, not the stream, finds it finished", async () => {
  const proc = spawn(process.execPath, [BIN, 'watch', RUN, '--server', url], { env: { ...process.env, NO_COLOR: '1', SLIPWAY_TOKEN: 'slw_test-0123456789abcdef0123456789abcdef' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  expect(code, out + err).toBe(0);
  const lines = out.trim().split('\n');
  expect(lines.findIndex((l) => /exit-gate\s+started/.test(l))).toBeGreaterThanOrEqual(0);
  const pass = lines.findIndex((l) => /exit-gate\s+pass/.test(l));
  const closing = lines.findIndex((l) => l.startsWith(`run ${RUN} succeeded`));
  expect(pass, out).toBeGreaterThanOrEqual(0);
  expect(closing, out).toBe(lines.length - 1);
  expect(pass).toBeLessThan(closing);
}, 20_000);
