/** The Prometheus SLI provider (Keptn sli.yaml queries) against a real Prometheus. */
import { describe, expect, it } from 'vitest';
import { createPrometheusSliProvider, fillPlaceholders, unfilled } from '../../../src/evaluation/index.js';
import type { SliQuery } from '../../../src/evaluation/index.js';
import { loadKeptnSli } from '../../../src/spec/index.js';
import type { Exporter, PrometheusStack } from '../../support/prometheus.js';
import { freePort, prometheusSkipReason, startExporter, startPrometheusStack, waitForQuery, waitForTargetUp } from '../../support/prometheus.js';
import { sliProviderContract } from './provider.case.js';

const SLI = `---
spec_version: '1.0'
indicators:
  error_rate: svc_errors{project="$PROJECT",stage="$STAGE",service="$SERVICE"} / svc_requests{project="$PROJECT",stage="$STAGE",service="$SERVICE"}
  requests: svc_requests{project="$PROJECT",stage="$STAGE",service="$SERVICE"}
  response_time_p95: svc_p95_ms{project="$PROJECT",stage="$STAGE",service="$SERVICE",region="$LABEL.region"}
  throughput: sum(rate(svc_requests{service="$SERVICE"}[$DURATION_SECONDS]))
  two_series: svc_requests
`;

const window = (service: string, labels: Record<string, string> = {}): SliQuery => ({
  project: 'shop',
  stage: 'prod',
  service,
  deployment: 'direct',
  start: Date.now() - 60_000,
  end: Date.now(),
  labels,
});

let stack: PrometheusStack | undefined;
let exporter: Exporter | undefined;

async function startWithSeries(): Promise<{ url: string }> {
  exporter = await startExporter();
  const labels = ['project', 'stage', 'service'];
  const requests = exporter.gauge('svc_requests', 'requests', labels);
  requests.set({ project: 'shop', stage: 'prod', service: 'api' }, 200);
  requests.set({ project: 'shop', stage: 'prod', service: 'web' }, 50);
  exporter.gauge('svc_errors', 'errors', labels).set({ project: 'shop', stage: 'prod', service: 'api' }, 5);
  exporter.gauge('svc_p95_ms', 'p95', [...labels, 'region']).set({ project: 'shop', stage: 'prod', service: 'api', region: 'eu' }, 123);
  stack = await startPrometheusStack({ targets: [exporter.address] });
  await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
  await waitForQuery(stack.prometheusUrl, 'svc_p95_ms', (s) => s.length === 1, 15_000);
  return { url: stack.prometheusUrl };
}

const skip = prometheusSkipReason({ alertmanager: false });

sliProviderContract('prometheus', skip, async () => {
  const { url } = await startWithSeries();
  const provider = createPrometheusSliProvider({ url, sli: loadKeptnSli(SLI, 'sli.yaml'), sliFile: 'sli.yaml' });
  return {
    provider,
    query: window('api', { region: 'eu' }),
    expected: { error_rate: 0.025, requests: 200, response_time_p95: 123 },
    emptyQuery: window('nobody', { region: 'eu' }),
    needsData: 'error_rate',
    close: async () => {
      await stack?.stop();
      await exporter?.close();
    },
  };
});

describe('Keptn placeholders', () => {
  it('fills project, stage, service, deployment, labels and the window as seconds', () => {
    const q = { project: 'p', stage: 's', service: 'svc', deployment: 'canary', start: 0, end: 600_000, labels: { region: 'eu', region_name: 'Europe' } };
    expect(fillPlaceholders('x{job="$SERVICE-$PROJECT-$STAGE",d="$DEPLOYMENT",r="$LABEL.region",n="$LABEL.region_name"}[$DURATION_SECONDS]', q)).toBe(
      'x{job="svc-p-s",d="canary",r="eu",n="Europe"}[600s]',
    );
    expect(unfilled('a{x="$LABEL.zone",y="$LABEL.zone",z="$LABEL.team"}')).toEqual(['$LABEL.zone', '$LABEL.team']);
  });
});

describe.skipIf(skip !== undefined)(`Prometheus SLI provider specifics ${skip ?? ''}`, () => {
  it('keeps the filled query, names a label the task did not give, and reports too many series and a dead server as reasons', async () => {
    const { url } = await startWithSeries();
    try {
      const provider = createPrometheusSliProvider({ url, sli: loadKeptnSli(SLI, 'sli.yaml'), sliFile: 'sli.yaml' });
      // rate() needs two scrapes in its range.
      await waitForQuery(url, 'count_over_time(svc_requests{service="api"}[1m])', (s) => (s[0]?.value ?? 0) >= 2, 15_000);
      const got = await provider.values(['response_time_p95', 'two_series', 'throughput'], window('api'));
      expect(got.values.response_time_p95).toBeUndefined();
      expect(got.missing.response_time_p95).toContain('$LABEL.region');
      expect(got.missing.two_series).toContain('returns 2 series');
      expect(got.queries?.throughput).toBe('sum(rate(svc_requests{service="api"}[60s]))');
      // A counter-less gauge has rate 0: a value, not missing.
      expect(got.values.throughput).toBe(0);
    } finally {
      await stack?.stop();
      await exporter?.close();
    }
    const dead = createPrometheusSliProvider({ url: `http://127.0.0.1:${await freePort()}`, sli: loadKeptnSli(SLI, 'sli.yaml') });
    const got = await dead.values(['requests'], window('api'));
    expect(got.values.requests).toBeUndefined();
    expect(got.missing.requests).toContain('is unreachable');
  });
});
