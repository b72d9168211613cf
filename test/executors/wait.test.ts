import type { Gauge } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { firingAlerts } from '../../src/evaluation/index.js';
import { createWaitExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { freePort, prometheusAvailable, prometheusSkipReason, startExporter, startPrometheusStack, waitFor, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const soak = createWaitExecutor();
let ctx: MockExecutorContext;
afterEach(() => ctx.dispose());

function waitTask(duration: unknown, now = T0): MockExecutorContext {
  return mockExecutorContext({ now, task: { name: 'soak', kind: 'wait', triggeredAt: T0, properties: { duration } } });
}

describe('wait executor', () => {
  it('suspends until triggeredAt + duration, open to stop and skip', async () => {
    ctx = waitTask('1h30m');
    expect(await soak.execute(ctx)).toEqual({
      suspend: { until: T0 + 5_400_000, waitingFor: 'stop|skip', message: 'soaking for 1h30m until 2025-01-01T13:30:00.000Z' },
    });
  });

  it('keeps the original due time when re-dispatched after a restart', async () => {
    ctx = waitTask('30m', T0 + 20 * 60_000);
    const outcome = await soak.execute(ctx);
    expect(outcome).toMatchObject({ suspend: { until: T0 + 30 * 60_000 } });
  });

  it('passes when its timer comes due', async () => {
    ctx = waitTask('5m', T0 + 5 * 60_000);
    expect(await soak.resume!(ctx, { signal: 'timer' })).toEqual({ result: 'pass', message: 'soaked for 5m' });
  });

  it('waits out the rest when its timer fires early', async () => {
    ctx = waitTask('5m', T0 + 60_000);
    expect(await soak.resume!(ctx, { signal: 'timer' })).toMatchObject({ suspend: { until: T0 + 5 * 60_000 } });
  });

  it('passes when skipped, naming who and why', async () => {
    ctx = waitTask('1h');
    const outcome = await soak.resume!(ctx, { signal: 'skip', by: 'alice', payload: { reason: 'hotfix' } });
    expect(outcome).toEqual({ result: 'pass', message: 'soak skipped by alice: hotfix' });
  });

  it('fails when stopped, naming who and why', async () => {
    ctx = waitTask('1h');
    const outcome = await soak.resume!(ctx, { signal: 'stop', by: 'bob', payload: { reason: 'error rate up' } });
    expect(outcome).toEqual({ result: 'fail', message: 'soak stopped by bob: error rate up' });
  });

  it('refuses an unknown signal without retry, naming the valid ones', async () => {
    ctx = waitTask('1h');
    const err = await soak.resume!(ctx, { signal: 'approve' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toBe("wait task 'soak' cannot handle signal 'approve'; valid signals: timer, stop, skip");
  });

  it('accepts a number of ms and times out an hour after the soak', async () => {
    ctx = waitTask(1500);
    expect(await soak.execute(ctx)).toMatchObject({ suspend: { until: T0 + 1500 } });
    expect(soak.defaultTimeoutMs!({ duration: '30m' })).toBe(90 * 60_000);
  });

  it('reports a missing or bad duration', async () => {
    ctx = waitTask('soon');
    expect(soak.validate!({})).toEqual([
      { field: 'duration', message: 'duration is required, e.g. `30s`, `5m`, `1h30m` or a number of ms' },
    ]);
    expect(soak.validate!({ duration: 'soon' })[0]?.message).toMatch(/"soon" is not a duration/);
    expect(soak.validate!({ duration: '10m' })).toEqual([]);
    await expect(soak.execute(ctx)).rejects.toBeInstanceOf(NonRetryableTaskError);
  });
});

describe('wait executor: alarm properties', () => {
  it('checks the alarms property when a pipeline loads', () => {
    const ok = { name: 'errors', prometheus: 'http://127.0.0.1:9090', labels: { service: 'api' }, interval: '10s' };
    expect(soak.validate!({ duration: '5m', alarms: [ok] })).toEqual([]);
    expect(soak.validate!({ duration: '5m', alarms: 'errors' })[0]).toMatchObject({ field: 'alarms', message: expect.stringContaining('must be a list of alarms') });
    const both = soak.validate!({ duration: '5m', alarms: [{ ...ok, alertmanager: 'http://127.0.0.1:9093' }] });
    expect(both[0]).toEqual({ field: 'alarms[0]', message: 'alarms[0] needs exactly one of prometheus or alertmanager (an http(s) URL)' });
    const bad = soak.validate!({ duration: '5m', alarms: [{ name: 'x', prometheus: 'ftp://h', labels: { a: 1 }, interval: 'soon', extra: true }] });
    expect(bad.map((p) => p.field)).toEqual(['alarms[0].extra', 'alarms[0].prometheus', 'alarms[0].labels', 'alarms[0].interval']);
  });

  it('without alarms (an empty list) it only soaks', async () => {
    ctx = mockExecutorContext({ now: T0, task: { name: 'soak', kind: 'wait', triggeredAt: T0, properties: { duration: '5m', alarms: [] } } });
    expect(await soak.execute(ctx)).toEqual({ suspend: { until: T0 + 300_000, waitingFor: 'stop|skip', message: 'soaking for 5m until 2025-01-01T12:05:00.000Z' } });
  });

  it('keeps soaking when the alarm source cannot be read, and says so', async () => {
    const port = await freePort();
    ctx = mockExecutorContext({ now: T0, task: { name: 'soak', kind: 'wait', triggeredAt: T0, properties: { duration: '5m', alarms: [{ name: 'errors', prometheus: `http://127.0.0.1:${port}`, labels: {} }] } } });
    const out = await soak.execute(ctx);
    expect(out).toMatchObject({ suspend: { until: T0 + 15_000, waitingFor: 'stop|skip', progress: { polls: 1 } } });
    expect((out as { suspend: { message: string } }).suspend.message).toContain(`alarm errors could not be read: Prometheus alerts: http://127.0.0.1:${port} is unreachable`);
  });
});

const RULES = `groups:
  - name: slipway-soak
    rules:
      - alert: HighErrorRate
        expr: app_errors > 0
        for: 0s
        labels: { severity: page }
`;

describe.skipIf(!prometheusAvailable({ alertmanager: false }))(`wait executor watching alarms in a real Prometheus ${prometheusSkipReason({ alertmanager: false }) ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  let errors: Gauge<string>;
  beforeAll(async () => {
    exporter = await startExporter();
    errors = exporter.gauge('app_errors', 'errors the test sets', ['service']);
    errors.set({ service: 'api' }, 0);
    errors.set({ service: 'web' }, 0);
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'app_errors', (s) => s.length === 2, 20_000);
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  function watching(labels: Record<string, string>, now: number, progress?: Record<string, unknown>): MockExecutorContext {
    const alarms = [{ name: 'api-errors', prometheus: stack.prometheusUrl, labels, interval: '20s' }];
    return mockExecutorContext({ now, task: { name: 'soak', kind: 'wait', triggeredAt: T0, properties: { duration: '5m', alarms }, ...(progress ? { progress } : {}) } });
  }

  it('polls while it soaks: none firing, it sleeps until the next poll and counts polls; at the due time it polls once more and passes', async () => {
    ctx = watching({ service: 'api' }, T0);
    const first = await soak.execute(ctx);
    expect(first).toMatchObject({ suspend: { until: T0 + 20_000, waitingFor: 'stop|skip', progress: { polls: 1, alarms: [{ name: 'api-errors', firing: [] }] } } });
    expect((first as { suspend: { message: string } }).suspend.message).toContain('alarms api-errors: none firing at 2025-01-01T12:00:00.000Z (poll 1)');
    ctx.dispose();
    // The last poll before the due time sleeps only until the due time.
    ctx = watching({ service: 'api' }, T0 + 290_000, { polls: 14 });
    expect(await soak.resume!(ctx, { signal: 'timer' })).toMatchObject({ suspend: { until: T0 + 300_000, progress: { polls: 15 } } });
    ctx.setNow(T0 + 300_000);
    ctx.task.progress = { polls: 15 };
    // At the due time it polls a last time, and passes when nothing fires.
    expect(await soak.resume!(ctx, { signal: 'timer' })).toEqual({ result: 'pass', message: 'soaked for 5m; alarms api-errors did not fire (16 polls)' });
  });

  it('a firing alert matching the labels ends the soak with fail, naming the alert and its labels', async () => {
    errors.set({ service: 'web' }, 3);
    await waitFor('HighErrorRate firing for web', () => firingAlerts({ url: stack.prometheusUrl, api: 'prometheus' }, { service: 'web' }), (a) => a.length === 1, 20_000);
    // An alert for another service does not end the api soak.
    ctx = watching({ service: 'api' }, T0 + 60_000);
    expect(await soak.resume!(ctx, { signal: 'timer' })).toMatchObject({ suspend: { until: T0 + 80_000 } });
    ctx.dispose();
    errors.set({ service: 'api' }, 5);
    await waitFor('HighErrorRate firing for api', () => firingAlerts({ url: stack.prometheusUrl, api: 'prometheus' }, { service: 'api' }), (a) => a.length === 1, 20_000);
    // An alert firing when the soak is due still fails it: the last wake polls too.
    ctx = watching({ service: 'api' }, T0 + 300_000);
    expect(await soak.resume!(ctx, { signal: 'timer' })).toMatchObject({ result: 'fail', message: expect.stringContaining('after 5m of 5m: alarm api-errors: HighErrorRate{') });
    ctx.dispose();
    ctx = watching({ service: 'api' }, T0 + 80_000);
    const out = await soak.resume!(ctx, { signal: 'timer' });
    expect(out).toMatchObject({ result: 'fail', output: { polls: 1, alarmFired: [{ name: 'api-errors', firing: [{ name: 'HighErrorRate', labels: { service: 'api', severity: 'page' } }] }] } });
    expect((out as { message: string }).message).toBe(
      'soak ended by a firing alarm after 1m20s of 5m: alarm api-errors: HighErrorRate{instance="' + exporter.address + '",job="test",service="api",severity="page"}',
    );
  });
});
