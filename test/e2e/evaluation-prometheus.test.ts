/**
 * The `evaluation` task in a real `slipway server` against a real Prometheus scraping a real
 * exporter: three releases with a relative latency criterion (`<=+10%`); the third regresses
 * latency by 20% and fails, the first two pass. The finished event keeps each objective's
 * value, targets, score and what it was compared with.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationRecord } from '../../src/executors/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { prometheusSkipReason, startExporter, startPrometheusStack, waitForQuery, waitForTargetUp } from '../support/prometheus.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-0123456789abcdef';

const SLO = `spec_version: '0.1.0'
comparison:
  compare_with: several_results
  number_of_comparison_results: 3
  include_result_with_score: pass
  aggregate_function: avg
objectives:
  - sli: response_time_p95
    displayName: Response time p95 (ms)
    key_sli: true
    pass:
      - criteria: ["<=+10%", "<1000"]
  - sli: error_rate
    pass:
      - criteria: ["<=0.05"]
total_score:
  pass: "90%"
  warning: "75%"
`;

const SLI = `spec_version: '1.0'
indicators:
  response_time_p95: max(shop_latency_p95_ms{project="$PROJECT",stage="$STAGE",service="$SERVICE"})
  error_rate: max(shop_error_rate{service="$SERVICE"})
`;

const pipeline = (prometheusUrl: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [api]
  stages:
    - name: production
      tasks:
        - {name: deploy, kind: noop}
        - name: evaluation
          kind: evaluation
          properties:
            slo: slo.yaml
            sli: sli.yaml
            prometheus: {url: '${prometheusUrl}'}
            window: 1m
`;

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`evaluation task against a real Prometheus ${skip ?? ''}`, () => {
  let dir: string;
  let exporter: Exporter;
  let stack: PrometheusStack;
  let server: ServerProcess;
  let latency: Gauge<string>;

  beforeAll(async () => {
    exporter = await startExporter();
    latency = exporter.gauge('shop_latency_p95_ms', 'p95 latency the test sets per release', ['project', 'stage', 'service']);
    exporter.gauge('shop_error_rate', 'error rate', ['service']).set({ service: 'api' }, 0.01);
    stack = await startPrometheusStack({ targets: [exporter.address] });
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-evaluation-'));
    await writeFile(join(dir, 'slo.yaml'), SLO);
    await writeFile(join(dir, 'sli.yaml'), SLI);
    await writeFile(join(dir, 'slipway.yaml'), pipeline(stack.prometheusUrl));
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
  });
  afterAll(async () => {
    await server?.stop();
    await stack?.stop();
    await exporter?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[]) {
    const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
    const { code } = await child.exited;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  /** Sets the latency the next release shows, waits until Prometheus has it, then releases and follows the run. */
  async function release(version: number, p95: number) {
    latency.set({ project: 'shop', stage: 'production', service: 'api' }, p95);
    await waitForQuery(stack.prometheusUrl, 'shop_latency_p95_ms', (s) => s[0]?.value === p95, 15_000);
    const t = await cli(['trigger', '--project', 'shop', '--service', 'api', '--artifact', `api:${version}`, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const { runId } = JSON.parse(t.stdout) as { runId: string };
    const watched = await cli(['watch', runId]);
    const res = await fetch(`${server.url}/api/v1/events?${new URLSearchParams({ run: runId, type: 'sh.slipway.task.evaluation.finished' })}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const { events } = (await res.json()) as { events: Array<{ event: { data: { result: string; message?: string; output?: { evaluation: EvaluationRecord } } } }> };
    expect(events, `the evaluation of ${runId} finished once`).toHaveLength(1);
    return { runId, code: watched.code, watchOut: watched.stdout + watched.stderr, finished: events[0]!.event.data };
  }

  it('passes the first two releases and fails the third, whose latency regressed by 20%', async () => {
    const first = await release(1, 200);
    expect(first.code, first.watchOut).toBe(0);
    expect(first.finished.result).toBe('pass');
    const e1 = first.finished.output!.evaluation;
    expect(e1.values).toEqual({ response_time_p95: 200, error_rate: 0.01 });
    // No earlier evaluation: the relative criterion has nothing to compare with and passes.
    expect(e1.objectives[0]).toMatchObject({ sli: 'response_time_p95', value: 200, score: 1, status: 'pass', comparedWith: { values: [], aggregate: null, runs: [] } });
    expect(e1.objectives[0]!.targets.map((t) => [t.criteria, t.target])).toEqual([['<=+10%', null], ['<1000', 1000]]);

    // +5%: within 10% of the first.
    const second = await release(2, 210);
    expect(second.code, second.watchOut).toBe(0);
    expect(second.finished.result).toBe('pass');
    const e2 = second.finished.output!.evaluation;
    expect(e2.objectives[0]).toMatchObject({ value: 210, score: 1, status: 'pass', comparedWith: { values: [200], aggregateFunction: 'avg', aggregate: 200, runs: [first.runId] } });
    expect(e2.objectives[0]!.targets.find((t) => t.relative)).toMatchObject({ target: 220, violated: false });

    // +20% on the second: 252 against avg(200, 210) × 1.1 = 225.5.
    const third = await release(3, 252);
    expect(third.code, third.watchOut).toBe(1);
    expect(third.finished.result).toBe('fail');
    expect(third.finished.message).toContain('key SLI response_time_p95 failed');
    const e3 = third.finished.output!.evaluation;
    expect(e3.score).toBe(50);
    const p95 = e3.objectives[0]!;
    expect(p95).toMatchObject({ sli: 'response_time_p95', displayName: 'Response time p95 (ms)', keySli: true, value: 252, score: 0, status: 'fail' });
    expect(p95.comparedWith).toEqual({ values: [200, 210], aggregateFunction: 'avg', aggregate: 205, runs: [first.runId, second.runId] });
    expect(p95.targets.find((t) => t.relative)).toMatchObject({ criteria: '<=+10%', violated: true });
    expect(p95.targets.find((t) => t.relative)!.target).toBeCloseTo(225.5, 9);
    expect(e3.objectives[1]).toMatchObject({ sli: 'error_rate', value: 0.01, score: 1, status: 'pass', comparedWith: null });
  });
});
