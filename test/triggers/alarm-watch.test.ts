/**
 * The watch-after-success watcher across restarts: Slipway (real SQLite) closed and opened
 * again reopens the window from the store, acts on an alert from a real Prometheus once, and
 * does not reopen a window it already acted on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { prometheusSkipReason, startExporter, startPrometheusStack, waitForQuery, waitForTargetUp } from '../support/prometheus.js';
import { waitForEvent, waitForRunFinished } from '../e2e/support/wait.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const RULES = `groups:
  - name: shop
    rules:
      - alert: ApiDown
        expr: api_down > 0
        for: 0s
`;

const pipeline = (url: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [api]
  stages:
    - name: dev
      alarms: [{name: api-down, prometheus: '${url}', labels: {service: api}, interval: 1s}]
      watch: {for: 1h}
      tasks: [{name: deploy, kind: noop}]
`;

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`alarm watcher across restarts ${skip ?? ''}`, () => {
  let dir: string;
  let exporter: Exporter;
  let stack: PrometheusStack;
  let down: Gauge<string>;
  let sw: Slipway | undefined;

  beforeAll(async () => {
    exporter = await startExporter();
    down = exporter.gauge('api_down', 'the test sets it', ['service']);
    down.set({ service: 'api' }, 0);
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES });
    dir = await mkdtemp(join(tmpdir(), 'slipway-alarm-watch-'));
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'api_down', (s) => s.length === 1, 20_000);
  });
  afterAll(async () => {
    await sw?.close();
    await stack?.stop();
    await exporter?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Slipway> {
    sw = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))) });
    await sw.addPipelineText(pipeline(stack.prometheusUrl), join(dir, 'slipway.yaml'), dir);
    return sw;
  }

  async function release(s: Slipway, artifact: string) {
    const done = waitForRunFinished(s, { stage: 'dev' });
    const d = await s.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts: { api: artifact } });
    const run = await done;
    expect(run.state).toBe('succeeded');
    return { releaseId: d.value!.releaseId!, run };
  }

  it('reopens an open window after a restart, acts once, and does not reopen it afterwards', async () => {
    let s = await open();
    const good = await release(s, 'api:1');
    const bad = await release(s, 'api:2');
    // A new run in the stage closed release 1's window; release 2's is open for an hour.
    expect(s.alarmWatch.watches()).toEqual([{ project: 'shop', stage: 'dev', releaseId: bad.releaseId, runId: bad.run.id, services: ['api'], until: bad.run.finishedAt! + 3_600_000 }]);
    await s.close();
    sw = undefined;

    s = await open();
    expect(s.alarmWatch.watches()).toEqual([expect.objectContaining({ releaseId: bad.releaseId, runId: bad.run.id, until: bad.run.finishedAt! + 3_600_000 })]);
    const alarmed = waitForEvent(s, 'the alarm event', (e) => e.type === 'sh.slipway.release.alarm', 30_000);
    const rolledBack = waitForRunFinished(s, { stage: 'dev', releaseId: good.releaseId }, 30_000);
    down.set({ service: 'api' }, 1);
    const ev = await alarmed;
    expect(ev.data).toMatchObject({ releaseId: bad.releaseId, alarm: 'api-down', rollbackTo: good.releaseId, alerts: [{ name: 'ApiDown' }] });
    expect((await rolledBack).state).toBe('succeeded');
    expect(s.alarmWatch.watches()).toEqual([]);
    await s.close();
    sw = undefined;

    // The alert still fires, but the window was acted on: nothing reopens, nothing repeats.
    s = await open();
    expect(s.alarmWatch.watches()).toEqual([]);
    const alarms = await s.store.events({ limit: 100, project: 'shop', types: ['sh.slipway.release.alarm'] });
    expect(alarms).toHaveLength(1);
    expect((await s.store.stagePasses(bad.releaseId)).find((p) => p.stage === 'dev')).toMatchObject({ result: 'fail', alarm: { name: 'api-down' } });
  });
});
