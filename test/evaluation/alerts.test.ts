/** firingAlerts against a real Prometheus and a real Alertmanager, with alert rules that fire. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firingAlerts, MetricsError } from '../../src/evaluation/index.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { freePort, prometheusAvailable, prometheusSkipReason, startExporter, startPrometheusStack, waitFor, waitForAlertmanagerAlert, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

const RULES = `groups:
  - name: slipway-test
    rules:
      - alert: HighErrorRate
        expr: svc_error_rate > 0.05
        for: 0s
        labels: { severity: page }
        annotations: { summary: "error rate above 5%" }
      - alert: SlowForAnHour
        expr: svc_error_rate > 0
        for: 1h
`;

describe('firingAlerts without a server', () => {
  it('names the source that did not answer', async () => {
    const port = await freePort();
    const err = await firingAlerts({ url: `http://127.0.0.1:${port}`, api: 'alertmanager' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).code).toBe('METRICS_UNREACHABLE');
    expect((err as MetricsError).message).toContain(`Alertmanager alerts: http://127.0.0.1:${port} is unreachable`);
  });
});

describe.skipIf(!prometheusAvailable())(`firingAlerts against real Prometheus and Alertmanager ${prometheusSkipReason() ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  beforeAll(async () => {
    exporter = await startExporter();
    const g = exporter.gauge('svc_error_rate', 'error rate the test sets', ['service', 'stage']);
    g.set({ service: 'api', stage: 'prod' }, 0.2);
    g.set({ service: 'web', stage: 'prod' }, 0.01);
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES, alertmanager: true });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'ALERTS{alertname="HighErrorRate",alertstate="firing"}', (s) => s.length === 1, 20_000);
    await waitForAlertmanagerAlert(stack.alertmanagerUrl!, 'HighErrorRate', 20_000);
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  it('lists the firing alerts Prometheus has whose labels match, not pending ones', async () => {
    const prom = { url: stack.prometheusUrl, api: 'prometheus' as const };
    const firing = await firingAlerts(prom, { service: 'api' });
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ name: 'HighErrorRate', labels: { alertname: 'HighErrorRate', service: 'api', stage: 'prod', severity: 'page' }, annotations: { summary: 'error rate above 5%' } });
    expect(firing[0]!.since).toBeGreaterThan(Date.now() - 120_000);
    // SlowForAnHour is pending for both services (for: 1h), so it is not firing.
    expect((await firingAlerts(prom, {})).map((a) => a.name)).toEqual(['HighErrorRate']);
    expect(await firingAlerts(prom, { service: 'web' })).toEqual([]);
    expect(await firingAlerts(prom, { service: 'api', severity: 'ticket' })).toEqual([]);
  });

  it('lists the active alerts Alertmanager has whose labels match', async () => {
    const am = { url: stack.alertmanagerUrl!, api: 'alertmanager' as const };
    const firing = await firingAlerts(am, { service: 'api', stage: 'prod' });
    expect(firing.map((a) => [a.name, a.labels.service])).toEqual([['HighErrorRate', 'api']]);
    expect(firing[0]!.since).toBeGreaterThan(Date.now() - 120_000);
    expect(await firingAlerts(am, { service: 'web' })).toEqual([]);
  });

  it('leaves out an alert silenced in Alertmanager', async () => {
    const am = { url: stack.alertmanagerUrl!, api: 'alertmanager' as const };
    const now = Date.now();
    const res = await fetch(`${stack.alertmanagerUrl}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true }],
        startsAt: new Date(now - 1000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: 'slipway-test',
        comment: 'silenced by the test',
      }),
    });
    expect(res.status).toBe(200);
    await waitFor('the silenced alert to leave the firing list', () => firingAlerts(am, { service: 'api' }), (a) => a.length === 0, 10_000);
    // Prometheus knows nothing of silences: the alert still fires there.
    expect(await firingAlerts({ url: stack.prometheusUrl, api: 'prometheus' }, { service: 'api' })).toHaveLength(1);
  });

  it('says when the URL does not serve the API it was told', async () => {
    const err = await firingAlerts({ url: stack.prometheusUrl, api: 'alertmanager' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).message).toMatch(/Alertmanager alerts: HTTP 404/);
  });
});
