import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { backend, cleanup, keepAlive, router, send, until } from './harness.js';

afterEach(cleanup);

describe('router: traffic and metrics', () => {
  it('swaps blue for green under continuous keep-alive load with zero failed requests', async () => {
    const [blue, green] = await Promise.all([backend('blue'), backend('green')]);
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [blue], weight: 1 }, green: { upstreams: [green], weight: 0 } });
    const agent = keepAlive();
    const results: { status: number; body: string; afterSwap: boolean; afterRetire: boolean }[] = [];
    const failures: unknown[] = [];
    let swapped = false;
    let retired = false;
    let stop = false;
    const loop = async (): Promise<void> => {
      while (!stop) {
        const afterSwap = swapped;
        const afterRetire = retired;
        try {
          const a = await send(url, { agent });
          results.push({ status: a.status, body: a.body, afterSwap, afterRetire });
        } catch (e) {
          failures.push(e);
        }
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await until(() => results.length >= 300, 20_000, '300 requests before the swap');
    r.setSlots({ blue: { upstreams: [blue], weight: 0 }, green: { upstreams: [green], weight: 1 } });
    swapped = true;
    const atSwap = results.length;
    await until(() => results.length >= atSwap + 300, 20_000, '300 requests after the swap');
    r.setSlots({ green: { upstreams: [green], weight: 1 } });
    await blue.close();
    retired = true;
    const atRetire = results.length;
    await until(() => results.length >= atRetire + 300, 20_000, '300 requests after blue retired');
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(results.filter((x) => x.status !== 200)).toEqual([]);
    expect(new Set(results.filter((x) => x.afterSwap).map((x) => x.body))).toEqual(new Set(['green']));
    expect(results.filter((x) => !x.afterSwap && x.body === 'blue').length).toBeGreaterThan(0);
    expect(results.filter((x) => x.afterRetire).length).toBeGreaterThanOrEqual(300);
    const m = r.metrics();
    expect((m.slots['blue']?.errors ?? 0) + (m.slots['green']?.errors ?? 0)).toBe(0);
  });

  it('answers 502 when the upstream is down and counts it as an error of that slot', async () => {
    const [blue, gone] = await Promise.all([backend('blue'), backend('gone')]);
    await gone.close();
    const registry = new Registry();
    const { router: r, url } = await router({ registry, labels: { project: 'shop', stage: 'prod', service: 'web' } });
    r.setSlots({ blue: { upstreams: [blue], weight: 1 }, green: { upstreams: [gone], weight: 1 } });
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(url)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(5).fill(200), ...Array(5).fill(502)]);
    const m = r.metrics();
    expect(m.slots['green']).toMatchObject({ requests: 5, errors: 5, errorRate: 1, codes: { '5xx': 5 } });
    expect(m.slots['blue']).toMatchObject({ requests: 5, errors: 0, errorRate: 0, codes: { '2xx': 5 } });
    const text = await registry.metrics();
    expect(text).toContain('slipway_router_requests_total{project="shop",stage="prod",service="web",slot="green",code_class="5xx"} 5');
    expect(text).toContain('slipway_router_requests_total{project="shop",stage="prod",service="web",slot="blue",code_class="2xx"} 5');
    expect(text).toMatch(/slipway_router_request_duration_seconds_count\{project="shop",stage="prod",service="web",slot="blue"\} 5/);
  });

  it('counts requests, errors and latency per slot, and the traffic of an interval with since()', async () => {
    const app = await backend('app', (req, res) => {
      const fail = req.url?.startsWith('/fail');
      const delay = req.url?.startsWith('/slow') ? 60 : 0;
      setTimeout(() => res.writeHead(fail ? 500 : 200).end(fail ? 'no' : 'ok'), delay);
    });
    const { router: r, url } = await router({ now: () => 1_000 });
    r.setSlots({ canary: { upstreams: [app], weight: 1 } });
    const agent = keepAlive();
    for (let i = 0; i < 30; i++) await send(url, { agent, path: '/ok' });
    for (let i = 0; i < 10; i++) await send(url, { agent, path: '/fail' });
    const before = r.metrics();
    expect(before.slots['canary']).toMatchObject({ requests: 40, errors: 10, errorRate: 0.25, codes: { '2xx': 30, '5xx': 10 } });
    expect(before.slots['canary']?.buckets.reduce((a, b) => a + b, 0)).toBe(40);
    for (let i = 0; i < 5; i++) await send(url, { agent, path: '/slow' });
    for (let i = 0; i < 5; i++) await send(url, { agent, path: '/fail' });
    const interval = r.since(before);
    expect(interval.slots['canary']).toMatchObject({ requests: 10, errors: 5, errorRate: 0.5, codes: { '2xx': 5, '5xx': 5 } });
    expect(interval.since).toBe(1_000);
    expect(interval.slots['canary']?.p99Ms).toBeGreaterThanOrEqual(50);
    expect(r.metrics().slots['canary']).toMatchObject({ requests: 50, errors: 15 });
  });

  it('shares one registry between routers and drops a router\'s series when it closes', async () => {
    const app = await backend('app');
    const registry = new Registry();
    const one = await router({ registry, labels: { project: 'p', stage: 'dev', service: 'a' } });
    const two = await router({ registry, labels: { project: 'p', stage: 'dev', service: 'b' } });
    one.router.setSlots({ blue: { upstreams: [app], weight: 1 } });
    two.router.setSlots({ blue: { upstreams: [app], weight: 1 } });
    await send(one.url);
    await send(two.url);
    expect(await registry.metrics()).toContain('service="b",slot="blue",code_class="2xx"} 1');
    await two.router.close();
    const text = await registry.metrics();
    expect(text).toContain('service="a",slot="blue",code_class="2xx"} 1');
    expect(text).not.toContain('service="b"');
  });

  it('adds x-forwarded headers and keeps hop-by-hop headers on their hop', async () => {
    const echo = await backend('echo', (req, res) => {
      res.writeHead(200, { connection: 'x-upstream-hop', 'x-upstream-hop': '1', 'keep-alive': 'timeout=5', 'x-app': 'answer' });
      res.end(JSON.stringify(req.headers));
    });
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [echo], weight: 1 } });
    const a = await send(url, {
      headers: { 'x-forwarded-for': '203.0.113.9', connection: 'keep-alive, x-private', 'x-private': 'hop', 'proxy-authorization': 'secret', 'x-app': 'kept' },
    });
    const seen = JSON.parse(a.body) as Record<string, string>;
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(new URL(url).host);
    expect(seen['host']).toBe(new URL(url).host);
    expect(seen['x-app']).toBe('kept');
    expect(seen['x-private']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(a.headers['x-app']).toBe('answer');
    expect(a.headers['x-upstream-hop']).toBeUndefined();
    expect(a.headers['connection']).toBe('keep-alive');
  });

  it('closes gracefully: a request in flight on a keep-alive connection gets its answer, then the connection closes', async () => {
    const slow = await backend('slow', (_req, res) => setTimeout(() => res.end('late but whole'), 200));
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [slow], weight: 1 } });
    const agent = keepAlive();
    await send(url, { agent, path: '/first' });
    const inFlight = send(url, { agent });
    await until(() => slow.seen.length === 2, 15_000, 'the request to reach the upstream');
    const started = performance.now();
    const closing = r.close(30_000);
    expect((await inFlight).body).toBe('late but whole');
    await closing;
    // Well before the 30 s grace: the connection closed once its answer was out.
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(send(url)).rejects.toThrow(/ECONNREFUSED/);
  });
});
