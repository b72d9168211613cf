/**
 * A soak ended by a firing alert that rolls the stage back, in a real `slipway server` with a
 * shell deploy, against a real Prometheus evaluating an alert rule over a real exporter's
 * series. People end soaks with `slipway soak skip|stop RUN --reason`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { prometheusSkipReason, startExporter, startPrometheusStack, waitFor, waitForQuery, waitForTargetUp } from '../support/prometheus.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-0123456789abcdef';

const RULES = `groups:
  - name: shop
    rules:
      - alert: HighErrorRate
        expr: shop_errors > 0
        for: 0s
        labels: { severity: page }
`;

// The soak is long on purpose: the test ends it (skip, or the alarm), never the clock.
const pipeline = (prometheusUrl: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [api]
  stages:
    - name: dev
      alarms:
        - {name: api-errors, prometheus: '${prometheusUrl}', labels: {service: api}, interval: 1s}
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "$SLIPWAY_ARTIFACT_API" > live.txt'}}
        - {name: soak, kind: wait, properties: {duration: 1h}}
`;

interface ApiTask {
  name: string;
  state: string;
  result?: string;
  message?: string;
  attempt: number;
}
interface ApiRun {
  id: string;
  state: string;
  releaseId: string;
  tasks: ApiTask[];
}

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`a soak watching alarms in a real server ${skip ?? ''}`, () => {
  let dir: string;
  let exporter: Exporter;
  let stack: PrometheusStack;
  let server: ServerProcess;
  let errors: Gauge<string>;

  beforeAll(async () => {
    exporter = await startExporter();
    errors = exporter.gauge('shop_errors', 'errors the test sets', ['service']);
    errors.set({ service: 'api' }, 0);
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES });
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-alarm-soak-'));
    await writeFile(join(dir, 'slipway.yaml'), pipeline(stack.prometheusUrl));
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'shop_errors', (s) => s.length === 1, 20_000);
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

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status, `GET ${path}`).toBe(200);
    return (await res.json()) as T;
  }

  const run = (id: string) => api<ApiRun>(`/api/v1/runs/${id}`);
  const untilRun = (id: string, what: string, check: (r: ApiRun) => boolean) => waitFor(`run ${id} ${what}`, () => run(id), check, 30_000, 100);
  const soaking = (r: ApiRun) => r.tasks.find((t) => t.name === 'soak')?.state === 'waiting';

  async function trigger(artifact: string): Promise<string> {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'api', '--artifact', artifact, '--json']);
    expect(t.code, t.stderr).toBe(0);
    return (JSON.parse(t.stdout) as { runId: string }).runId;
  }

  it('a firing alert ends the soak with fail and the stage rolls back to its last good release', async () => {
    // Release 1 soaks while nothing fires; a person skips the rest of its soak.
    const first = await trigger('api:1');
    const soaked = await untilRun(first, 'soaking', soaking);
    expect(soaked.tasks.find((t) => t.name === 'soak')!.message).toMatch(/alarms api-errors: none firing at .* \(poll \d+\)/);
    const skipped = await cli(['soak', 'skip', first, '--reason', 'first release, nothing to compare']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain(`skipped soak ${first}.soak.1: first release, nothing to compare`);
    const done = await untilRun(first, 'succeeded', (r) => r.state === 'succeeded');
    expect(done.tasks.find((t) => t.name === 'soak')!.message).toMatch(/^soak skipped by .*: first release, nothing to compare$/);
    expect((await readFile(join(dir, 'live.txt'), 'utf8')).trim()).toBe('api:1');

    // Release 2 deploys and soaks; then its errors rise and the alert fires.
    const second = await trigger('api:2');
    await untilRun(second, 'soaking', soaking);
    expect((await readFile(join(dir, 'live.txt'), 'utf8')).trim()).toBe('api:2');
    errors.set({ service: 'api' }, 7);
    const failed = await untilRun(second, 'failed', (r) => r.state === 'failed');
    const soak = failed.tasks.find((t) => t.name === 'soak')!;
    expect(soak.result).toBe('fail');
    expect(soak.message).toMatch(/^soak ended by a firing alarm after .* of 1h: alarm api-errors: HighErrorRate\{instance="[^"]+",job="test",service="api",severity="page"\}$/);

    // The stage goes back to release 1: a rollback run, whose own soak does not watch alarms.
    const { events } = await api<{ events: Array<{ event: { data: { releaseId: string; reason: string } } }> }>(`/api/v1/events?project=shop&type=sh.slipway.release.rollback`);
    expect(events).toHaveLength(1);
    expect(events[0]!.event.data).toMatchObject({ releaseId: done.releaseId, reason: `automatic: soak failed in run ${second} after release ${failed.releaseId} took traffic: ${soak.message}` });
    const { runs } = await api<{ runs: ApiRun[] }>('/api/v1/runs?project=shop&stage=dev');
    const rollback = runs.find((r) => r.releaseId === done.releaseId && r.id !== first)!;
    expect(rollback.releaseId).toBe(done.releaseId);
    const rollbackSoak = await untilRun(rollback.id, 'soaking', soaking);
    expect(rollbackSoak.tasks.find((t) => t.name === 'soak')!.message).toMatch(/^soaking for 1h until [^;]+$/);
    expect((await readFile(join(dir, 'live.txt'), 'utf8')).trim()).toBe('api:1');
    const stopped = await cli(['soak', 'skip', rollback.id, '--reason', 'rolled back']);
    expect(stopped.code, stopped.stderr).toBe(0);
    await untilRun(rollback.id, 'succeeded', (r) => r.state === 'succeeded');
    const status = await api<{ stages: Array<{ name: string; services: Array<{ release: string; state: string }> }> }>('/api/v1/projects/shop/status');
    expect(status.stages[0]!.services[0]).toMatchObject({ release: done.releaseId, state: 'succeeded' });
  });

  it('soak stop fails a soak with the reason; it needs one', async () => {
    errors.set({ service: 'api' }, 0);
    const alerts = async () => ((await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: unknown[] } }).data.alerts;
    await waitFor('HighErrorRate to resolve', alerts, (a) => a.length === 0, 20_000);
    const third = await trigger('api:3');
    await untilRun(third, 'soaking', soaking);
    const none = await cli(['soak', 'stop', third]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("required option '--reason <text>' not specified");
    const stopped = await cli(['soak', 'stop', third, '--reason', 'error budget spent']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const r = await untilRun(third, 'failed', (x) => x.state === 'failed');
    expect(r.tasks.find((t) => t.name === 'soak')!.message).toMatch(/^soak stopped by .*: error budget spent$/);
  });
});
