/** The router SLI provider against a real router, backends and prom-client registry. */
import { createServer, request, type Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRouterSliProvider } from '../../../src/evaluation/index.js';
import type { SliQuery } from '../../../src/evaluation/index.js';
import { Router } from '../../../src/platform/router/index.js';
import { sliProviderContract } from './provider.case.js';

/** A backend answering 500 on /fail, 200 elsewhere. */
async function backend(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const q = (service: string, start: number, labels: Record<string, string> = {}): SliQuery => ({ project: 'shop', stage: 'prod', service, deployment: 'direct', start, end: Date.now(), labels });

async function routed(registry: Registry, service = 'api') {
  const be = await backend();
  const router = new Router({ registry, labels: { project: 'shop', stage: 'prod', service } });
  const { url } = await router.listen();
  router.setSlots({ blue: { upstreams: [{ host: '127.0.0.1', port: be.port }], weight: 100 } });
  return { url, router, close: async () => (await router.close(1000), await be.close()) };
}

sliProviderContract('router', undefined, async () => {
  const registry = new Registry();
  const provider = createRouterSliProvider({ registry });
  const start = Date.now();
  await provider.sample();
  const r = await routed(registry);
  for (let i = 0; i < 18; i++) expect(await get(`${r.url}/ok`)).toBe(200);
  for (let i = 0; i < 2; i++) expect(await get(`${r.url}/fail`)).toBe(500);
  return {
    provider,
    query: q('api', start),
    expected: { requests: 20, error_count: 2, error_rate: 0.1 },
    emptyQuery: q('nobody', start),
    needsData: 'error_rate',
    close: r.close,
  };
});

describe('router SLI provider specifics', () => {
  it('measures only the window: traffic before its start sample does not count; a slot label narrows it; latency in ms', async () => {
    const registry = new Registry();
    const provider = createRouterSliProvider({ registry });
    const r = await routed(registry);
    try {
      for (let i = 0; i < 5; i++) await get(`${r.url}/fail`);
      await provider.sample();
      const start = Date.now();
      await new Promise((res) => setTimeout(res, 5)); // the window's start must be after the sample above
      for (let i = 0; i < 10; i++) await get(`${r.url}/ok`);
      const got = await provider.values(['requests', 'error_rate', 'response_time_p95', 'response_time_avg', 'throughput'], q('api', start));
      expect(got.values.requests).toBe(10);
      expect(got.values.error_rate).toBe(0);
      expect(got.values.response_time_p95).toBeGreaterThan(0);
      expect(got.values.response_time_p95).toBeLessThan(1000);
      expect(got.values.response_time_avg).toBeGreaterThan(0);
      expect(got.values.throughput).toBeGreaterThan(0);
      expect((await provider.values(['requests'], q('api', start, { slot: 'blue' }))).values.requests).toBe(10);
      const green = await provider.values(['requests', 'error_rate'], q('api', start, { slot: 'green' }));
      expect(green.values.requests).toBe(0);
      expect(green.missing.error_rate).toContain('slot green');
      expect(green.notes?.join()).toContain('no router series');
    } finally {
      await r.close();
    }
  });

  it('counts the whole history when it has no sample before the window, and says so', async () => {
    const registry = new Registry();
    const provider = createRouterSliProvider({ registry });
    const r = await routed(registry);
    try {
      await provider.sample();
      for (let i = 0; i < 3; i++) await get(`${r.url}/ok`);
      const got = await provider.values(['requests'], q('api', Date.now() - 60_000));
      expect(got.values.requests).toBe(3);
      expect(got.notes?.[0]).toMatch(/router samples start at .* after the window's start/);
    } finally {
      await r.close();
    }
  });
});

describe('router SLI provider over time (injected clock, series written directly)', () => {
  const labels = { project: 'shop', stage: 'prod', service: 'api', slot: 'blue' };
  function setup() {
    const registry = new Registry();
    const requests = new Counter({ name: 'slipway_router_requests_total', help: 'h', labelNames: [...Object.keys(labels), 'code_class'], registers: [registry] });
    let t = 1_000_000;
    const provider = createRouterSliProvider({ registry, now: () => t });
    return { registry, requests, provider, at: () => t, advance: (ms: number) => (t += ms) };
  }
  const window = (start: number, end: number): SliQuery => ({ project: 'shop', stage: 'prod', service: 'api', deployment: '', start, end, labels: {} });

  it('measures an old window within a minute after thinning, and a recent one exactly', async () => {
    const s = setup();
    const t0 = s.at();
    // 12 requests a minute (one per 5 s sample) for 30 minutes.
    for (let i = 0; i < 360; i++) {
      await s.provider.sample();
      s.requests.inc({ ...labels, code_class: '2xx' });
      s.advance(5000);
    }
    await s.provider.sample();
    // 361 samples taken: the last 10 minutes' 121 kept, the 20 minutes before at one a minute.
    expect(s.provider.samplesKept()).toBeGreaterThanOrEqual(140);
    expect(s.provider.samplesKept()).toBeLessThanOrEqual(143);
    const old = await s.provider.values(['requests', 'throughput'], window(t0 + 5 * 60_000, t0 + 15 * 60_000));
    // 10 minutes = 120 requests; thinned edges are within a minute (12 requests) each.
    expect(old.values.requests).toBeGreaterThanOrEqual(120 - 12);
    expect(old.values.requests).toBeLessThanOrEqual(120 + 24);
    const recent = await s.provider.values(['requests'], window(t0 + 25 * 60_000, t0 + 29 * 60_000));
    expect(recent.values.requests).toBe(48);
  });

  it('keeps at most one of its own end readings a second, however many evaluations end now, and each still counts to the moment it ends', async () => {
    const s = setup();
    const t0 = s.at();
    await s.provider.sample();
    // 1,000 evaluations 10 ms apart (100 a second, the stress shape), each from t0 to now.
    for (let i = 1; i <= 1000; i++) {
      s.requests.inc({ ...labels, code_class: '2xx' });
      s.advance(10);
      const got = await s.provider.values(['requests'], window(t0, s.at()));
      expect(got.values.requests).toBe(i);
    }
    // 10 s of evaluations: the first sample and one reading a second kept, not 1,001.
    expect(s.provider.samplesKept()).toBeGreaterThanOrEqual(10);
    expect(s.provider.samplesKept()).toBeLessThanOrEqual(12);
    // A window starting between kept samples is measured from the one before its start, less
    // than a second (100 requests here) before it.
    const mid = await s.provider.values(['requests'], window(t0 + 5_500, s.at()));
    expect(mid.values.requests).toBeGreaterThanOrEqual(1000 - 550);
    expect(mid.values.requests).toBeLessThanOrEqual(1000 - 550 + 100);
  });

  it("starts the next window at the previous evaluation's end reading, not at the timed sample before it", async () => {
    const s = setup();
    await s.provider.sample();
    // The first run: 20 requests, then its evaluation ends now (400 ms after the timed sample).
    const firstStart = s.at();
    s.advance(100);
    s.requests.inc({ ...labels, code_class: '2xx' }, 20);
    s.advance(300);
    expect((await s.provider.values(['requests'], window(firstStart, s.at()))).values.requests).toBe(20);
    // The next run starts 50 ms later, before any timed sample: only its own 10 count.
    s.advance(50);
    const secondStart = s.at();
    s.advance(100);
    s.requests.inc({ ...labels, code_class: '2xx' }, 10);
    s.advance(200);
    expect((await s.provider.values(['requests'], window(secondStart, s.at()))).values.requests).toBe(10);
  });

  it('counts a counter that went down (its router restarted) from zero, as rate() does', async () => {
    const s = setup();
    const t0 = s.at();
    await s.provider.sample();
    s.requests.inc({ ...labels, code_class: '2xx' }, 50);
    s.advance(5000);
    await s.provider.sample();
    s.requests.reset();
    s.requests.inc({ ...labels, code_class: '2xx' }, 7);
    s.advance(5000);
    const got = await s.provider.values(['requests', 'throughput'], window(t0 + 5000, s.at()));
    expect(got.values.requests).toBe(7);
    expect(got.values.throughput).toBeCloseTo(7 / 5, 9);
  });
});
