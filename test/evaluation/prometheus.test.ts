/** queryPrometheus against a real Prometheus scraping a real exporter, and the ways it refuses. */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsError, queryPrometheus, queryPrometheusSamples } from '../../src/evaluation/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { freePort, prometheusAvailable, prometheusSkipReason, startExporter, startPrometheusStack, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

async function rejection(p: Promise<unknown>): Promise<MetricsError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MetricsError);
    return err as MetricsError;
  }
  throw new Error('expected the query to fail');
}

describe('queryPrometheus without a Prometheus', () => {
  it('names the URL and the refusal when nothing listens there', async () => {
    const port = await freePort();
    const err = await rejection(queryPrometheus(`http://127.0.0.1:${port}`, 'up'));
    expect(err.code).toBe('METRICS_UNREACHABLE');
    expect(err.message).toContain(`http://127.0.0.1:${port} is unreachable`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.fields.query).toBe('up');
  });

  it('gives up on a server that never answers after timeoutMs, and says so', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const err = await rejection(queryPrometheus(`http://127.0.0.1:${port}`, 'up', { timeoutMs: 300 }));
      expect(err.code).toBe('METRICS_UNREACHABLE');
      expect(err.message).toContain('no answer within 300 ms');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("rethrows the caller's abort as is, so a cancelled check is not read as a failed source", async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const ac = new AbortController();
      const p = queryPrometheus(`http://127.0.0.1:${port}`, 'up', { signal: ac.signal });
      ac.abort(new Error('run aborted'));
      await expect(p).rejects.toThrow('run aborted');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe.skipIf(!prometheusAvailable({ alertmanager: false }))(`queryPrometheus against a real Prometheus ${prometheusSkipReason({ alertmanager: false }) ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  let url: string;
  beforeAll(async () => {
    exporter = await startExporter();
    const latency = exporter.gauge('svc_latency_seconds', 'latency the test sets', ['service']);
    latency.set({ service: 'api' }, 0.25);
    latency.set({ service: 'web' }, 0.5);
    const requests = exporter.counter('svc_requests_total', 'requests', ['service']);
    requests.inc({ service: 'api' }, 10);
    stack = await startPrometheusStack({ targets: [exporter.address] });
    url = stack.prometheusUrl;
    await waitForTargetUp(url, exporter.address, 30_000);
    await waitForQuery(url, 'svc_latency_seconds', (s) => s.length === 2, 15_000);
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  it('reads a single-sample vector as its number', async () => {
    expect(await queryPrometheus(url, 'svc_latency_seconds{service="api"}')).toBe(0.25);
    expect(await queryPrometheus(`${url}/`, 'max(svc_latency_seconds)')).toBe(0.5);
  });

  it('reads a scalar, and NaN (0/0) as NaN', async () => {
    expect(await queryPrometheus(url, '2 * 3')).toBe(6);
    expect(await queryPrometheus(url, '0/0')).toBeNaN();
  });

  it('returns undefined when the query has no data, and at a time before the series existed', async () => {
    expect(await queryPrometheus(url, 'svc_latency_seconds{service="nobody"}')).toBeUndefined();
    expect(await queryPrometheus(url, 'svc_latency_seconds{service="api"}', { time: Date.now() - 3_600_000 })).toBeUndefined();
    expect(await queryPrometheus(url, 'svc_latency_seconds{service="api"}', { time: Date.now() })).toBe(0.25);
  });

  it('refuses more than one series, naming how many and their labels', async () => {
    const err = await rejection(queryPrometheus(url, 'svc_latency_seconds'));
    expect(err.code).toBe('METRICS_ANSWER');
    expect(err.message).toContain('returns 2 series');
    expect(err.message).toContain('service="api"');
    expect(err.message).toContain('service="web"');
    expect(err.message).toContain('aggregate them');
    // The samples themselves are there for callers that want every series.
    const all = await queryPrometheusSamples(url, 'svc_latency_seconds');
    expect(all.map((s) => [s.labels.service, s.value]).sort()).toEqual([['api', 0.25], ['web', 0.5]]);
  });

  it("passes Prometheus's own error text for a bad query", async () => {
    const err = await rejection(queryPrometheus(url, 'sum(svc_latency_seconds'));
    expect(err.code).toBe('METRICS_HTTP');
    expect(err.fields.status).toBe(400);
    expect(err.message).toMatch(/HTTP 400 .*bad_data: .*parse error/);
    expect(err.message).toContain('sum(svc_latency_seconds');
  });

  it('refuses a range vector and says how to make one number of it', async () => {
    const err = await rejection(queryPrometheus(url, 'svc_requests_total[1m]'));
    expect(err.code).toBe('METRICS_ANSWER');
    expect(err.message).toContain('range vector');
  });

  it('says when the URL is not a Prometheus API', async () => {
    const err = await rejection(queryPrometheus(`http://${exporter.address}`, 'up'));
    expect(err.code).toBe('METRICS_HTTP');
    expect(err.message).toContain('HTTP 404');
  });
});
