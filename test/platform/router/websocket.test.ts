import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { backend, cleanup, router, type Backend } from './harness.js';

afterEach(cleanup);

async function echoServer(name: string): Promise<Backend> {
  const b = await backend(name);
  const wss = new WebSocketServer({ server: b.server });
  wss.on('connection', (ws, req) => ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${name}:${data.toString()}|${req.headers['x-forwarded-for']}`, { binary: isBinary })));
  return b;
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws'), { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const next = (ws: WebSocket): Promise<Buffer> => new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(d)));

describe('router: websocket upgrades', () => {
  it('passes a websocket through to the weighted slot, or the previewed one, and echoes both ways', async () => {
    const [blue, green] = await Promise.all([echoServer('blue'), echoServer('green')]);
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [blue], weight: 1 }, green: { upstreams: [green], weight: 0 } });
    const live = await open(url);
    const preview = await open(url, { 'x-slipway-slot': 'green' });
    live.send('hello');
    expect((await next(live)).toString()).toBe('blue:hello|127.0.0.1');
    preview.send('hi');
    expect((await next(preview)).toString()).toBe('green:hi|127.0.0.1');
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    live.send(big);
    expect((await next(live)).equals(big)).toBe(true);
    live.close();
    preview.close();
    expect(r.metrics().slots['blue']).toMatchObject({ requests: 1, errors: 0, codes: { '1xx': 1 } });
    expect(r.metrics().slots['green']).toMatchObject({ requests: 1, codes: { '1xx': 1 } });
  });

  it('answers an upgrade to an unreachable upstream with 502 and counts the error', async () => {
    const gone = await backend('gone');
    await gone.close();
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [gone], weight: 1 } });
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url.replace('http', 'ws'));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(502);
    expect(r.metrics().slots['blue']).toMatchObject({ requests: 1, errors: 1 });
  });

  it('closes open websockets when the router closes', async () => {
    const blue = await echoServer('blue');
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [blue], weight: 1 } });
    const ws = await open(url);
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await r.close(200);
    await closed;
  });
});
