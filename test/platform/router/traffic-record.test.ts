/**
 * The router's recorded traffic: a real router in front of a real upstream on 127.0.0.1.
 * Only live requests are recorded, redacted before they are kept, and the sample stays bounded.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DROP_HEADERS, DEFAULT_DROP_QUERY, Router, type RecordSpec } from '../../../src/platform/router/index.js';

let upstream: Server | undefined;
let router: Router | undefined;

afterEach(async () => {
  await router?.close(100);
  if (upstream) await new Promise((r) => upstream!.close(r));
  router = undefined;
  upstream = undefined;
});

const spec = (over: Partial<RecordSpec> = {}): RecordSpec => ({
  sample: 1,
  max: 5,
  headers: ['accept', 'authorization', 'cookie', 'x-tenant'],
  dropHeaders: [...DEFAULT_DROP_HEADERS],
  dropCookies: [],
  dropQuery: [...DEFAULT_DROP_QUERY],
  replace: { headers: {}, cookies: {}, query: {} },
  ...over,
});

async function start(): Promise<string> {
  upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
  router = new Router();
  const { url } = await router.listen();
  router.setSlots({ blue: { upstreams: [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }], weight: 1 } });
  return url;
}

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)));
    req.on('error', reject);
    req.end();
  });
}

describe('recorded traffic', () => {
  it('keeps chosen headers and drops secret headers, cookies and query keys before anything is stored', async () => {
    const url = await start();
    router!.record(spec({ headers: ['accept', 'authorization', 'cookie', 'x-tenant', 'x-email'], dropHeaders: ['authorization'], dropCookies: ['session'], replace: { headers: { 'x-email': 'a@example.com' }, cookies: { uid: 'u' }, query: { user: 'anon' } } }));
    expect(await get(`${url}/cart?id=7&token=abc&PASSWORD=pw&user=alice`, { accept: 'text/html', authorization: 'Bearer s3', cookie: 'session=xyz; theme=dark; uid=uid-of-alice; slipway-sticky=blue', 'x-tenant': 'acme', 'x-email': 'alice@example.com', 'x-other': 'never' })).toBe(200);
    const [r] = router!.recording!.requests();
    expect(r).toMatchObject({ method: 'GET', path: '/cart?id=7&user=anon', headers: { accept: 'text/html', cookie: 'theme=dark; uid=u', 'x-tenant': 'acme', 'x-email': 'a@example.com' } });
    expect(Object.keys(r!.headers).sort()).toEqual(['accept', 'cookie', 'x-email', 'x-tenant']);
    expect(JSON.stringify(r)).not.toMatch(/s3|xyz|abc|pw|alice|uid-of|never/);
  });

  it('by default drops Authorization and Cookie even when listed, and keeps the newest max requests only', async () => {
    const url = await start();
    router!.record(spec());
    for (let i = 0; i < 8; i++) await get(`${url}/p${i}?access_token=t`, { authorization: 'Basic x', cookie: 'a=b' });
    const kept = router!.recording!.requests();
    expect(kept.map((r) => r.path)).toEqual(['/p3', '/p4', '/p5', '/p6', '/p7']);
    expect(kept.every((r) => Object.keys(r.headers).length === 0)).toBe(true);
    expect(router!.recording!.counts()).toEqual({ seen: 8, recorded: 8 });
  });

  it('records live traffic only: previews by header or cookie are not recorded', async () => {
    const url = await start();
    router!.record(spec());
    await get(`${url}/preview`, { 'x-slipway-slot': 'blue' });
    await get(`${url}/cookie`, { cookie: 'slipway-slot=blue' });
    await get(`${url}/live`);
    expect(router!.recording!.requests().map((r) => r.path)).toEqual(['/live']);
  });

  it('records about `sample` of the requests, and nothing once recording is turned off', async () => {
    const url = await start();
    router!.record(spec({ sample: 0.5, max: 1000 }));
    for (let i = 0; i < 200; i++) await get(`${url}/`);
    const { seen, recorded } = router!.recording!.counts();
    expect(seen).toBe(200);
    // Binomial(200, 0.5): outside 60..140 happens with probability below 1e-8.
    expect(recorded).toBeGreaterThan(60);
    expect(recorded).toBeLessThan(140);
    router!.record(undefined);
    await get(`${url}/`);
    expect(router!.recording).toBeUndefined();
  });
});
