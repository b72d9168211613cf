import { afterEach, describe, expect, it } from 'vitest';
import { backend, cleanup, keepAlive, router, send } from './harness.js';

afterEach(cleanup);

describe('router: HTTP edge cases pass through unchanged', () => {
  it('keeps methods, empty bodies, status codes without a body, chunked answers and repeated headers', async () => {
    const app = await backend('app', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        if (req.url === '/204') return void res.writeHead(204).end();
        if (req.url === '/304') return void res.writeHead(304, { etag: '"v1"' }).end();
        if (req.url === '/chunked') {
          res.writeHead(200, { 'set-cookie': ['a=1', 'b=2'] });
          res.write('one,');
          return void setTimeout(() => res.end('two'), 5);
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-method': req.method });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ method: req.method, url: req.url, bytes: n }));
      });
    });
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [app], weight: 1 } });
    const agent = keepAlive();
    expect(JSON.parse((await send(url, { agent, method: 'POST', path: '/x?q=1&r=%20', headers: { 'content-length': '0' } })).body)).toEqual({ method: 'POST', url: '/x?q=1&r=%20', bytes: 0 });
    expect(JSON.parse((await send(url, { agent, method: 'PUT', body: 'hello' })).body)).toEqual({ method: 'PUT', url: '/', bytes: 5 });
    expect(JSON.parse((await send(url, { agent, method: 'DELETE' })).body)).toMatchObject({ method: 'DELETE' });
    const head = await send(url, { agent, method: 'HEAD' });
    expect([head.status, head.body, head.headers['x-method']]).toEqual([200, '', 'HEAD']);
    expect((await send(url, { agent, path: '/204' })).status).toBe(204);
    const notModified = await send(url, { agent, path: '/304' });
    expect([notModified.status, notModified.headers['etag']]).toEqual([304, '"v1"']);
    const chunked = await send(url, { agent, path: '/chunked' });
    expect(chunked.body).toBe('one,two');
    expect(chunked.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.metrics().slots['blue']).toMatchObject({ requests: 7, errors: 0, codes: { '2xx': 6, '3xx': 1 } });
  });

  it('adds the sticky cookie beside the upstream\'s own cookies', async () => {
    const app = await backend('app', (_req, res) => res.writeHead(200, { 'set-cookie': ['session=abc; Path=/'] }).end('app'));
    const { router: r, url } = await router({ sticky: true });
    r.setSlots({ blue: { upstreams: [app], weight: 1 } });
    expect((await send(url)).headers['set-cookie']).toEqual(['session=abc; Path=/', 'slipway-sticky=blue; Path=/; HttpOnly; SameSite=Lax']);
    expect((await send(url, { headers: { cookie: 'slipway-sticky=blue' } })).headers['set-cookie']).toEqual(['session=abc; Path=/']);
  });

  it('reports the table in force', async () => {
    const [a, b] = await Promise.all([backend('a'), backend('b')]);
    const { router: r } = await router();
    r.setSlots({ stable: { upstreams: [a], weight: 9 }, canary: { upstreams: [b], weight: 1 } }, { mirror: { slot: 'canary', share: 0.5 } });
    expect(r.getSlots()).toEqual({
      slots: { stable: { upstreams: [{ host: '127.0.0.1', port: a.port }], weight: 9 }, canary: { upstreams: [{ host: '127.0.0.1', port: b.port }], weight: 1 } },
      mirror: { slot: 'canary', share: 0.5 },
    });
  });
});
