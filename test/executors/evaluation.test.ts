/**
 * The `evaluation` task (Keptn quality gate) on its own: SLO files from disk, values from a real
 * Prometheus or the real router provider, history through ctx.runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorContext, Finished, PastRun, RunQuery, TaskOutcome } from '../../src/engine/executor.js';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { createRouterSliProvider } from '../../src/evaluation/index.js';
import { createEvaluationExecutor, type EvaluationRecord, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';
import { Router } from '../../src/platform/router/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { freePort, prometheusSkipReason, startExporter, startPrometheusStack, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

const SLO = `spec_version: '0.1.0'
comparison:
  compare_with: several_results
  number_of_comparison_results: 3
  include_result_with_score: pass
  aggregate_function: avg
objectives:
  - sli: response_time_p95
    key_sli: true
    pass:
      - criteria: ["<=+10%", "<600"]
  - sli: error_rate
    pass:
      - criteria: ["<=0.05"]
    warning:
      - criteria: ["<=0.10"]
total_score:
  pass: "90%"
  warning: "75%"
`;

const SLI = `spec_version: '1.0'
indicators:
  response_time_p95: svc_p95_ms{project="$PROJECT",stage="$STAGE",service="$SERVICE"}
  error_rate: svc_error_rate{service="$SERVICE"}
`;

let dir: string;
const contexts: MockExecutorContext[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-evaluation-'));
  await writeFile(join(dir, 'slo.yaml'), SLO);
  await writeFile(join(dir, 'sli.yaml'), SLI);
  await writeFile(join(dir, 'bad-slo.yaml'), "objectives:\n  - sli: x\n    pass:\n      - criteria: ['<=banana']\ntotal_score: { pass: '90%' }\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const c of contexts.splice(0)) c.dispose();
});

function context(properties: Record<string, unknown>, opts: { runs?: PastRun[]; artifacts?: Record<string, string>; runId?: string } = {}): ExecutorContext {
  const ctx = mockExecutorContext({
    task: { name: 'evaluation', kind: 'evaluation', properties },
    run: { id: opts.runId ?? 'run-now', project: 'shop', stage: 'prod', projectDir: dir, artifacts: opts.artifacts ?? { api: 'registry/api:2' } },
  });
  contexts.push(ctx);
  if (!opts.runs) return ctx;
  const runs = opts.runs;
  return Object.assign(ctx, { runs: async () => runs });
}

function finished(o: TaskOutcome): Finished {
  if ('suspend' in o) throw new Error('expected the evaluation to finish');
  return o;
}

const record = (o: Finished) => o.output!.evaluation as EvaluationRecord;

/** An earlier run whose evaluation measured `values` and ended with `result`. */
function earlier(id: string, result: 'pass' | 'warning' | 'fail', values: Record<string, number>, service = 'api'): PastRun {
  return {
    id,
    releaseId: `rel-${id}`,
    sequence: 'delivery',
    state: 'succeeded',
    queuedAt: 0,
    tasks: [
      { name: 'deploy', kind: 'deploy', result: 'pass' },
      { name: 'evaluation', kind: 'evaluation', result, data: { evaluation: { service, values } } },
    ],
  };
}

const executor = createEvaluationExecutor();

describe('evaluation task: properties', () => {
  it("passes with Keptn's message when no SLO is configured (a Keptn shipyard's evaluation with only a timeframe)", async () => {
    const out = finished(await executor.execute(context({ timeframe: '2m' })));
    expect(out).toEqual({ result: 'pass', message: 'no SLO file: nothing to evaluate' });
    expect(executor.validate!({ timeframe: '2m' })).toEqual([]);
  });

  it('names each bad property and what would be valid', () => {
    const fields = (p: Record<string, unknown>) => executor.validate!(p).map((x) => `${x.field}: ${x.message}`);
    expect(fields({ slo: 'slo.yaml' })).toEqual(['provider: an SLO needs values: set `prometheus: {url}` with `sli: sli.yaml`, or `provider: router`']);
    expect(fields({ slo: 'slo.yaml', prometheus: { url: 'http://p:9090' } })).toEqual(['sli: provider prometheus needs `sli`: the Keptn sli.yaml with the queries']);
    expect(fields({ slo: 'slo.yaml', sli: 'sli.yaml', prometheus: 'http://p' })[0]).toMatch(/^prometheus: prometheus must be \{ url: http\(s\):\/\/… \}/);
    expect(fields({ provider: 'datadog' })).toEqual(['provider: provider must be prometheus or router, got "datadog"']);
    expect(fields({ window: 'soon' })[0]).toMatch(/^window: window must be a duration of at least 1s/);
    expect(fields({ labels: { a: 1 } })[0]).toMatch(/^labels: labels must be a map of strings/);
    expect(fields({ slo: 'slo.yaml', provider: 'router', window: '5m', labels: { slot: 'blue' } })).toEqual([]);
    expect(fields({ slo: 'slo.yaml', sli: 'sli.yaml', prometheus: { url: '${secret:PROM_URL}' } })).toEqual([]);
  });

  it('refuses a bad SLO file at once (no retry), naming file:line and the criterion', async () => {
    const err = await executor.execute(context({ slo: 'bad-slo.yaml', provider: 'router' })).catch((e: unknown) => e);
    // provider router is not wired in this executor: the SLO file is read first and is what fails.
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toMatch(/bad-slo\.yaml:4:\d+: .*banana/);
  });

  it('asks which service when the release has several', async () => {
    const ex = createEvaluationExecutor({ router: createRouterSliProvider({ registry: new Registry() }) });
    const err = await ex.execute(context({ slo: 'slo.yaml', provider: 'router' }, { artifacts: { api: 'a', web: 'w' } })).catch((e: unknown) => e);
    expect((err as Error).message).toContain('the release has 2 services (api, web); name the one to evaluate in properties.service');
  });

  it('says when the router provider is not available', async () => {
    const err = await executor.execute(context({ slo: 'slo.yaml', provider: 'router' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toContain('provider router is not available');
  });

  it('fails, naming the unreachable Prometheus for each SLI, when no value can be measured', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const out = finished(await executor.execute(context({ slo: 'slo.yaml', sli: 'sli.yaml', prometheus: { url } })));
    expect(out.result).toBe('fail');
    expect(out.message).toContain(`no value for response_time_p95 (Prometheus query`);
    expect(out.message).toContain(`${url} is unreachable`);
    expect(record(out).values).toEqual({});
  });
});

describe('evaluation task: the router provider', () => {
  it('scores the router series of the service over the window', async () => {
    const registry = new Registry();
    const router = createRouterSliProvider({ registry });
    await router.sample();
    const server: Server = createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const r = new Router({ registry, labels: { project: 'shop', stage: 'prod', service: 'api' } });
    const { url } = await r.listen();
    r.setSlots({ blue: { upstreams: [{ host: '127.0.0.1', port: (server.address() as { port: number }).port }], weight: 1 } });
    try {
      const get = (path: string) => new Promise<void>((res, rej) => request(`${url}${path}`, { agent: false }, (m) => (m.resume(), m.on('end', res))).on('error', rej).end());
      for (let i = 0; i < 9; i++) await get('/');
      await get('/fail');
      const slo = 'objectives:\n  - sli: error_rate\n    pass:\n      - criteria: ["<=0.05"]\n    warning:\n      - criteria: ["<=0.2"]\n  - sli: requests\ntotal_score: { pass: "90%", warning: "50%" }\n';
      await writeFile(join(dir, 'router-slo.yaml'), slo);
      const ex = createEvaluationExecutor({ router });
      const out = finished(await ex.execute(context({ slo: 'router-slo.yaml', provider: 'router', window: '1h' })));
      expect(out.result).toBe('warning');
      const rec = record(out);
      expect(rec.provider).toBe('router');
      expect(rec.values).toEqual({ error_rate: 0.1, requests: 10 });
      expect(rec.objectives.map((o) => [o.sli, o.value, o.status, o.score])).toEqual([
        ['error_rate', 0.1, 'warning', 0.5],
        ['requests', 10, 'info', 0],
      ]);
    } finally {
      await r.close(1000);
      server.closeAllConnections();
      server.close();
    }
  });
});

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`evaluation task against a real Prometheus ${skip ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  let props: Record<string, unknown>;
  beforeAll(async () => {
    exporter = await startExporter();
    exporter.gauge('svc_p95_ms', 'p95 latency', ['project', 'stage', 'service']).set({ project: 'shop', stage: 'prod', service: 'api' }, 240);
    exporter.gauge('svc_error_rate', 'error rate', ['service']).set({ service: 'api' }, 0.01);
    stack = await startPrometheusStack({ targets: [exporter.address] });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'svc_p95_ms', (s) => s.length === 1, 15_000);
    props = { slo: 'slo.yaml', sli: 'sli.yaml', prometheus: { url: stack.prometheusUrl }, window: '1m' };
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  it('passes the first evaluation (no comparison data) and keeps value, targets, score and the filled queries', async () => {
    const out = finished(await executor.execute(context(props, { runs: [] })));
    expect(out.result).toBe('pass');
    const rec = record(out);
    expect(rec).toMatchObject({ score: 100, result: 'pass', service: 'api', provider: 'prometheus', slo: 'slo.yaml', values: { response_time_p95: 240, error_rate: 0.01 }, missing: {} });
    expect(rec.window.end - rec.window.start).toBe(60_000);
    expect(rec.queries?.response_time_p95).toBe('svc_p95_ms{project="shop",stage="prod",service="api"}');
    const p95 = rec.objectives[0]!;
    expect(p95).toMatchObject({ sli: 'response_time_p95', value: 240, score: 1, status: 'pass', comparedWith: { values: [], aggregate: null, runs: [] } });
    expect(p95.targets.map((t) => [t.criteria, t.target])).toEqual([['<=+10%', null], ['<600', 600]]);
  });

  it('compares with the last passing evaluations of the same task and service, oldest first, and fails a 20% regression', async () => {
    // Newest first, as ctx.runs answers: r4 failed (not included), r0 is another service.
    const runs = [
      earlier('r4', 'fail', { response_time_p95: 900, error_rate: 0.01 }),
      earlier('r3', 'pass', { response_time_p95: 200, error_rate: 0.01 }),
      earlier('r0', 'pass', { response_time_p95: 10, error_rate: 0.01 }, 'web'),
      earlier('r2', 'pass', { response_time_p95: 200, error_rate: 0.01 }),
      earlier('r1', 'pass', { response_time_p95: 200, error_rate: 0.01 }),
    ];
    const out = finished(await executor.execute(context(props, { runs })));
    // 240 against avg 200 + 10% = 220: the key SLI fails, so the evaluation fails.
    expect(out.result).toBe('fail');
    expect(out.message).toContain('key SLI response_time_p95 failed');
    const p95 = record(out).objectives[0]!;
    expect(p95).toMatchObject({ value: 240, status: 'fail', score: 0, comparedWith: { values: [200, 200, 200], aggregateFunction: 'avg', aggregate: 200, runs: ['r1', 'r2', 'r3'] } });
    expect(p95.targets.find((t) => t.relative)).toMatchObject({ criteria: '<=+10%', target: 220, violated: true });
  });

  it('passes within 10% of the history', async () => {
    const runs = [earlier('r1', 'pass', { response_time_p95: 230, error_rate: 0.01 })];
    const out = finished(await executor.execute(context(props, { runs })));
    expect(out.result).toBe('pass');
    expect(record(out).objectives[0]!.comparedWith).toMatchObject({ values: [230], runs: ['r1'] });
  });

  it('defaults the window to since the run started', async () => {
    const { window: _w, ...noWindow } = props;
    const ctx = context(noWindow, { runs: [] });
    const startedAt = ctx.now() - 42_000;
    const rec = record(finished(await executor.execute(Object.assign(ctx, { run: { ...ctx.run, startedAt } }))));
    expect(rec.window).toEqual({ start: startedAt, end: ctx.now() });
  });

  it("reads the service's own runs: a few more than the comparison takes, up to 100 only when too few of them count", async () => {
    // The SLO compares with 3 results that passed: the first read asks for 2 × 3 + 3 = 9 runs.
    const asked: RunQuery[] = [];
    const serve = (runs: PastRun[]) => async (q: RunQuery) => {
      asked.push(q);
      return runs.slice(0, q.limit);
    };
    const passing = Array.from({ length: 12 }, (_, i) => earlier(`p${i}`, 'pass', { response_time_p95: 200 }));
    await executor.execute(Object.assign(context(props), { runs: serve(passing) }));
    expect(asked).toEqual([{ project: 'shop', stage: 'prod', service: 'api', limit: 9 }]);

    // Nine failed runs in front of the passing ones: the comparison needs more, so a second read takes 100.
    asked.length = 0;
    const failedFirst = [...Array.from({ length: 9 }, (_, i) => earlier(`f${i}`, 'fail', { response_time_p95: 900 })), ...passing];
    const out = finished(await executor.execute(Object.assign(context(props), { runs: serve(failedFirst) })));
    expect(asked.map((q) => q.limit)).toEqual([9, 100]);
    expect(record(out).objectives[0]!.comparedWith).toMatchObject({ runs: ['p2', 'p1', 'p0'] });
  });
});
