/** The test harness itself: a real Prometheus scraping a real exporter, alerts reaching a real Alertmanager. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { instantQuery, prometheusAvailable, prometheusSkipReason, startExporter, startPrometheusStack, waitForAlertmanagerAlert, waitForQuery, waitForTargetUp } from '../support/prometheus.js';

const RULES = `groups:
  - name: harness
    rules:
      - alert: HarnessHigh
        expr: harness_value > 5
        for: 0s
        labels: { severity: page }
`;

describe.skipIf(!prometheusAvailable())(`Prometheus test harness ${prometheusSkipReason() ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  beforeAll(async () => {
    exporter = await startExporter();
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES, alertmanager: true });
  });
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  it('scrapes the exporter, evaluates rules and sends firing alerts to Alertmanager', async () => {
    const g = exporter.gauge('harness_value', 'a value the test sets', ['service']);
    g.set({ service: 'api' }, 3);
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    const s = await waitForQuery(stack.prometheusUrl, 'harness_value', (x) => x.length === 1 && x[0]!.value === 3, 15_000);
    expect(s[0]!.labels).toMatchObject({ service: 'api', instance: exporter.address, job: 'test' });
    expect(await instantQuery(stack.prometheusUrl, 'ALERTS{alertname="HarnessHigh"}')).toEqual([]);
    g.set({ service: 'api' }, 9);
    await waitForQuery(stack.prometheusUrl, 'ALERTS{alertname="HarnessHigh",alertstate="firing"}', (x) => x.length === 1, 15_000);
    await waitForAlertmanagerAlert(stack.alertmanagerUrl!, 'HarnessHigh', 15_000);
    expect(exporter.scrapes()).toBeGreaterThan(0);
  });

  it('names what it waited for when a wait times out', async () => {
    await expect(waitForQuery(stack.prometheusUrl, 'nonexistent_metric', (x) => x.length > 0, 600)).rejects.toThrow(/waiting for query nonexistent_metric/);
  });
});
