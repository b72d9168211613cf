/**
 * The router's own series scraped by a real Prometheus: a Keptn sli.yaml over
 * slipway_router_* gives the same numbers as the router provider reading the registry itself.
 */
import { createServer, request, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusSliProvider, createRouterSliProvider } from '../../src/evaluation/index.js';
import type { SliQuery } from '../../src/evaluation/index.js';
import { Router } from '../../src/platform/router/index.js';
import { loadKeptnSli } from '../../src/spec/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { prometheusSkipReason, startExporter, startPrometheusStack, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

const SLI = `spec_version: '1.0'
indicators:
  requests: sum(slipway_router_requests_total{project="$PROJECT",stage="$STAGE",service="$SERVICE"})
  error_rate: sum(slipway_router_requests_total{project="$PROJECT",stage="$STAGE",service="$SERVICE",code_class="5xx"}) / sum(slipway_router_requests_total{project="$PROJECT",stage="$STAGE",service="$SERVICE"})
  response_time_p95: histogram_quantile(0.95, sum by (le) (slipway_router_request_duration_seconds_bucket{project="$PROJECT",stage="$STAGE",service="$SERVICE"})) * 1000
  response_time_p50: histogram_quantile(0.50, sum by (le) (slipway_router_request_duration_seconds_bucket{project="$PROJECT",stage="$STAGE",service="$SERVICE"})) * 1000
`;

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`the router's series in a real Prometheus ${skip ?? ''}`, () => {
  let backend: Server;
  let router: Router;
  let exporter: Exporter;
  let stack: PrometheusStack;
  const registry = new Registry();
  const routerProvider = createRouterSliProvider({ registry });
  let start: number;

  beforeAll(async () => {
    backend = createServer((req, res) => {
      // Latencies spread over several buckets: 0, 8, 16 ms …; every 10th answer is a 503.
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0);
      setTimeout(() => {
        res.statusCode = n % 10 === 9 ? 503 : 200;
        res.end();
      }, (n % 4) * 8);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    start = Date.now();
    await routerProvider.sample();
    router = new Router({ registry, labels: { project: 'shop', stage: 'prod', service: 'api' } });
    const { url } = await router.listen();
    router.setSlots({ blue: { upstreams: [{ host: '127.0.0.1', port: (backend.address() as { port: number }).port }], weight: 1 } });
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((resolve, reject) => request(`${url}/?n=${i}`, { agent: false }, (res) => (res.resume(), res.on('end', resolve))).on('error', reject).end());
    }
    exporter = await startExporter({ registry });
    stack = await startPrometheusStack({ targets: [exporter.address] });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'sum(slipway_router_requests_total)', (s) => s[0]?.value === 40, 15_000);
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
    await router?.close(1000);
    backend?.closeAllConnections();
    backend?.close();
  });

  it('gives the same requests, error rate and latency percentiles as the router provider', async () => {
    const q: SliQuery = { project: 'shop', stage: 'prod', service: 'api', deployment: 'direct', start, end: Date.now(), labels: {} };
    const names = ['requests', 'error_rate', 'response_time_p95', 'response_time_p50'];
    const fromPrometheus = await createPrometheusSliProvider({ url: stack.prometheusUrl, sli: loadKeptnSli(SLI, 'sli.yaml') }).values(names, q);
    const fromRouter = await routerProvider.values(names, q);
    expect(fromPrometheus.missing).toEqual({});
    expect(fromRouter.missing).toEqual({});
    expect(fromPrometheus.values.requests).toBe(40);
    expect(fromPrometheus.values.error_rate).toBeCloseTo(0.1, 9);
    for (const n of names) expect(fromRouter.values[n], n).toBeCloseTo(fromPrometheus.values[n]!, 6);
    expect(fromPrometheus.values.response_time_p95).toBeGreaterThan(fromPrometheus.values.response_time_p50!);
  });
});
