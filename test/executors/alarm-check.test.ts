/** alarm-check (a stage's requireNoAlarms) against a real Prometheus and Alertmanager with alert rules. */
import type { Gauge } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { firingAlerts } from '../../src/evaluation/index.js';
import { createAlarmCheckExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { freePort, prometheusAvailable, prometheusSkipReason, startExporter, startPrometheusStack, waitFor, waitForAlertmanagerAlert, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const check = createAlarmCheckExecutor();
let ctx: MockExecutorContext;
afterEach(() => ctx?.dispose());

function task(alarms: unknown[], now: number, timeout = '10m'): MockExecutorContext {
  return mockExecutorContext({ now, task: { name: 'upstream-alarms', kind: 'alarm-check', triggeredAt: T0, properties: { stage: 'dev', alarms, timeout } } });
}

describe('alarm-check executor', () => {
  it('needs alarms and a valid timeout', () => {
    expect(check.validate!({ stage: 'dev' })).toEqual([{ field: 'alarms', message: 'alarms is required: the alarms that must not be firing' }]);
    expect(check.validate!({ alarms: [], timeout: 'later' })[0]?.message).toContain('"later" is not a duration');
    expect(check.defaultTimeoutMs!({ timeout: '30m' })).toBe(31 * 60_000);
  });

  it('an alarm source that cannot be read proves nothing: it waits, then fails at its timeout naming why', async () => {
    const port = await freePort();
    const alarms = [{ name: 'dev-errors', alertmanager: `http://127.0.0.1:${port}`, labels: {} }];
    ctx = task(alarms, T0);
    const out = await check.execute(ctx);
    expect(out).toMatchObject({ suspend: { until: T0 + 15_000, waitingFor: 'stop|skip' } });
    expect((out as { suspend: { message: string } }).suspend.message).toContain('waiting for alarms of stage \'dev\' to stop firing (until 2025-01-01T12:10:00.000Z): alarm dev-errors could not be read');
    ctx.setNow(T0 + 600_000);
    const end = await check.resume!(ctx, { signal: 'timer' });
    expect(end).toMatchObject({ result: 'fail', message: expect.stringContaining("alarms of stage 'dev' did not clear within 10m: alarm dev-errors could not be read") });
  });

  it('skip passes and stop fails, naming who and why', async () => {
    ctx = task([], T0);
    expect(await check.resume!(ctx, { signal: 'skip', by: 'alice', payload: { reason: 'known noise' } })).toEqual({ result: 'pass', message: 'alarm check skipped by alice: known noise' });
    expect(await check.resume!(ctx, { signal: 'stop', by: 'bob' })).toEqual({ result: 'fail', message: 'alarm check stopped by bob' });
  });
});

const RULES = `groups:
  - name: slipway-upstream
    rules:
      - alert: DevBroken
        expr: dev_errors > 0
        for: 0s
        labels: { severity: page }
`;

describe.skipIf(!prometheusAvailable())(`alarm-check against real Prometheus and Alertmanager ${prometheusSkipReason() ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  let errors: Gauge<string>;
  beforeAll(async () => {
    exporter = await startExporter();
    errors = exporter.gauge('dev_errors', 'errors in dev the test sets', ['stage']);
    errors.set({ stage: 'dev' }, 1);
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES, alertmanager: true });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'ALERTS{alertname="DevBroken",alertstate="firing"}', (s) => s.length === 1, 20_000);
    await waitForAlertmanagerAlert(stack.alertmanagerUrl!, 'DevBroken', 20_000);
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  it('waits while an upstream alert fires (Alertmanager), fails at the timeout, and passes once it resolves (Prometheus)', async () => {
    const am = [{ name: 'dev-health', alertmanager: stack.alertmanagerUrl, labels: { stage: 'dev' } }];
    ctx = task(am, T0 + 60_000);
    const waiting = await check.execute(ctx);
    expect(waiting).toMatchObject({ suspend: { until: T0 + 75_000, waitingFor: 'stop|skip', progress: { alarms: [{ name: 'dev-health', firing: [{ name: 'DevBroken' }] }] } } });
    expect((waiting as { suspend: { message: string } }).suspend.message).toContain("waiting for alarms of stage 'dev' to stop firing (until 2025-01-01T12:10:00.000Z): alarm dev-health: DevBroken{");
    // The last poll before the timeout sleeps only until it.
    ctx.setNow(T0 + 590_000);
    expect(await check.resume!(ctx, { signal: 'timer' })).toMatchObject({ suspend: { until: T0 + 600_000 } });
    ctx.setNow(T0 + 600_000);
    const failed = await check.resume!(ctx, { signal: 'timer' });
    expect(failed).toMatchObject({ result: 'fail', message: expect.stringContaining("alarms of stage 'dev' did not clear within 10m: alarm dev-health: DevBroken{") });
    ctx.dispose();

    const prom = [{ name: 'dev-health', prometheus: stack.prometheusUrl, labels: { stage: 'dev' } }];
    errors.set({ stage: 'dev' }, 0);
    await waitFor('DevBroken to resolve', () => firingAlerts({ url: stack.prometheusUrl, api: 'prometheus' }, { stage: 'dev' }), (a) => a.length === 0, 20_000);
    ctx = task(prom, T0 + 120_000);
    expect(await check.execute(ctx)).toEqual({ result: 'pass', message: "no alarm of stage 'dev' is firing (dev-health)" });
  });
});
