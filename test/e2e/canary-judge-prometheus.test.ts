/**
 * Canary analysis with metrics from a real Prometheus (Debian's binary) that scrapes the local
 * platform's router series every second: the judge compares the canary's and the baseline's
 * error ratio (`$SLOT` filled per side) and an Argo threshold metric checks the canary's; the
 * flaky demo version fails and is rolled back, the good one passes.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import type { PrometheusStack } from '../support/prometheus.js';
import { prometheusAvailable, prometheusSkipReason, startPrometheusStack, waitForQuery, waitForTargetUp } from '../support/prometheus.js';
import { storeOptionFor } from './support/e2e-store.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const VERSIONS = fileURLToPath(new URL('../../examples/demo-app/versions/', import.meta.url));
const v = (name: string) => join(VERSIONS, name);

// A counter child appears only once it counted something, so a slot without errors has no 5xx
// series: `or vector(0)` makes its error ratio 0 instead of no data.
const ratio = (slot: string) =>
  `(sum(rate(slipway_router_requests_total{stage="prod",service="web",slot="${slot}",code_class="5xx"}[3s])) or vector(0)) / sum(rate(slipway_router_requests_total{stage="prod",service="web",slot="${slot}"}[3s]))`;

const pipeline = (prometheus: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
      tasks:
        - name: deploy
          kind: deploy
          properties:
            strategy: canary
            steps:
              - {setWeight: 50}
              - analysis:
                  prometheus: ${prometheus}
                  judge:
                    sampleInterval: 1s
                    duration: 16s
                    minSamples: 10
                    metrics:
                      - name: errorRatio
                        provider: prometheus
                        query: '${ratio('$SLOT')}'
                        direction: increase
                        critical: true
                  metrics:
                    - name: canaryErrors
                      provider: prometheus
                      query: '${ratio('$SLOT')}'
                      successCondition: result < 0.05
                      initialDelay: 12s
                      interval: 2s
                      count: 3
                      failureLimit: 2
`;

let dir: string;
let slipway: Slipway | undefined;
let exporter: Server;
let stack: PrometheusStack;

describe.skipIf(!prometheusAvailable({ alertmanager: false }))(`canary analysis from Prometheus ${prometheusSkipReason({ alertmanager: false }) ?? ''}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-canary-prom-'));
    // The router's series, served the way `slipway server` serves them on /metrics.
    exporter = createServer((_req, res) => {
      if (!slipway) return res.writeHead(503).end();
      void slipway.platform.registry.metrics().then((text) => res.writeHead(200, { 'content-type': slipway!.platform.registry.contentType }).end(text));
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    stack = await startPrometheusStack({ targets: [address] });
    await writeFile(join(dir, 'slipway.yaml'), pipeline(stack.prometheusUrl));
    slipway = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), unservedKinds: 'fail' });
    await slipway.addPipelineFile(join(dir, 'slipway.yaml'));
    await waitForTargetUp(stack.prometheusUrl, address, 30_000);
  }, 60_000);

  afterAll(async () => {
    await slipway?.engine.stop();
    await slipway?.platform.close();
    await slipway?.store.close();
    await stack?.stop();
    await new Promise((r) => exporter?.close(r));
    await removeDataDir(dir);
  });

  function finished(releaseId: string): Promise<Run> {
    return new Promise((resolve) => {
      const on = (r: Run) => {
        if (r.releaseId !== releaseId) return;
        slipway!.engine.emitter.off('run:finished', on);
        resolve(r);
      };
      slipway!.engine.emitter.on('run:finished', on);
    });
  }

  async function release(artifact: string): Promise<Run> {
    const d = await slipway!.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts: { web: artifact } });
    const done = finished(d.value!.releaseId!);
    const existing = await slipway!.store.getRun(d.value!.runId!);
    if (existing && ['succeeded', 'failed', 'aborted'].includes(existing.state)) return existing;
    return done;
  }

  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const get = (url: string) =>
    new Promise<string>((resolve) => {
      const req = request(url, { agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? ((JSON.parse(body) as { version?: string }).version ?? '?') : `status ${res.statusCode}`));
      });
      req.on('error', () => resolve('error'));
      req.end();
    });

  function load(url: string) {
    let stop = false;
    const loops = Array.from({ length: 3 }, async () => {
      while (!stop) await get(url);
    });
    return async () => {
      stop = true;
      await Promise.all(loops);
    };
  }

  it('the judge and a threshold metric on Prometheus catch the flaky version; the good version passes', async () => {
    expect((await release(v('1.0.0'))).state).toBe('succeeded');
    const url = (await slipway!.platform.status({ project: 'shop', stage: 'prod', service: 'web' }))!.endpoint;
    const stop = load(url);
    try {
      // The baseline's series must be in Prometheus before a canary is compared with it.
      await waitForQuery(stack.prometheusUrl, ratio('blue'), (s) => s.length === 1 && s[0]!.value === 0, 30_000);
      const flaky = await release(v('1.3.0-flaky'));
      expect(flaky.state).toBe('failed');
      expect(flaky.tasks[0]!.message).toMatch(/^analysis failed, traffic restored to the previous version: judge fail: critical metric failed, score 0: metric errorRatio is higher on the canary/);
      const out = flaky.tasks[0]!.data as { analyses: { output: { judge: { services: { web: { metrics: { classification: string; canaryMean: number; baselineMean: number }[] } } } } }[] };
      const m = out.analyses[0]!.output.judge.services.web.metrics[0]!;
      expect(m.classification).toBe('High');
      expect(m.canaryMean).toBeGreaterThan(0.1);
      expect(m.baselineMean).toBe(0);

      const good = await release(v('1.1.0'));
      expect(good.state).toBe('succeeded');
      expect(good.tasks[0]!.message).toMatch(/analysis at step 3: pass \(judge pass: .*; threshold analysis Successful: 1 metric Successful\)/);
    } finally {
      await stop();
    }
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await get(url));
    expect([...seen]).toEqual(['1.1.0']);
  });
});
