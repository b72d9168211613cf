/**
 * Watch after success, in a real `slipway server` against a real Prometheus alert rule: a
 * release that succeeded in dev is watched for a while; the alert firing in that window
 * marks it failed there (promotion to prod is refused), and dev rolls back to the previous
 * good release. The same stage also holds prod's entry while dev's alarm fires
 * (`requireNoAlarms`): the run waits visibly, fails at its timeout, and passes once the
 * alert resolves.
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

const pipeline = (prometheusUrl: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [api]
  stages:
    - name: dev
      alarms:
        - {name: api-errors, prometheus: '${prometheusUrl}', labels: {service: api}, interval: 1s}
      watch: {for: 1h, interval: 1s}
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "$SLIPWAY_ARTIFACT_API" > dev.txt'}}
    - name: prod
      promotion: manual
      requireNoAlarms: {stage: dev, timeout: 12s}
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "$SLIPWAY_ARTIFACT_API" > prod.txt'}}
`;

interface ApiTask {
  name: string;
  state: string;
  result?: string | null;
  message?: string | null;
}
interface ApiRun {
  id: string;
  state: string;
  releaseId: string;
  tasks: ApiTask[];
}
interface Envelope<D> {
  event: { type: string; data: D };
}

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`alarms after success and upstream, in a real server ${skip ?? ''}`, () => {
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
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-alarm-watch-'));
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
  const events = async <D>(type: string) => (await api<{ events: Envelope<D>[] }>(`/api/v1/events?project=shop&type=${type}`)).events.map((e) => e.event.data);
  const firing = async () => ((await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ state: string }> } }).data.alerts.filter((a) => a.state === 'firing');

  async function release(artifact: string): Promise<{ runId: string; releaseId: string }> {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'api', '--artifact', artifact, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const out = JSON.parse(t.stdout) as { runId: string; releaseId: string };
    await untilRun(out.runId, 'succeeded', (r) => r.state === 'succeeded');
    return out;
  }

  it('an alert firing in the watch window fails the release in dev, stops its promotion and rolls dev back, once', async () => {
    const good = await release('api:1');
    const bad = await release('api:2');
    expect((await readFile(join(dir, 'dev.txt'), 'utf8')).trim()).toBe('api:2');
    // The open window shows in the status (API and CLI).
    const status = await api<{ stages: Array<{ name: string; watching?: Array<{ releaseId: string; runId: string; until: number }> }> }>('/api/v1/projects/shop/status');
    expect(status.stages[0]!.watching).toEqual([{ releaseId: bad.releaseId, runId: bad.runId, until: expect.any(Number) }]);
    expect(status.stages[1]!.watching).toBeUndefined();
    const shownStatus = await cli(['status', '--project', 'shop']);
    expect(shownStatus.stdout).toMatch(new RegExp(`dev: watching alarms after release ${bad.releaseId} succeeded, until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`));

    errors.set({ service: 'api' }, 9);
    const [alarm] = await waitFor('a release.alarm event', () => events<{ releaseId: string; alarm: string; rollbackTo?: string; reason: string; alerts: Array<{ name: string }> }>('sh.slipway.release.alarm'), (e) => e.length > 0, 30_000, 200);
    expect(alarm).toMatchObject({ releaseId: bad.releaseId, alarm: 'api-errors', rollbackTo: good.releaseId, alerts: [{ name: 'HighErrorRate' }] });
    expect(alarm!.reason).toMatch(/^alarm api-errors fired in stage 'dev' within \d+s of release rel-\w+ succeeding there: HighErrorRate\{instance="[^"]+",job="test",service="api",severity="page"\}$/);

    // Dev goes back to release 1.
    const [rollback] = await events<{ releaseId: string; reason: string }>('sh.slipway.release.rollback');
    expect(rollback).toMatchObject({ releaseId: good.releaseId, reason: `automatic: ${alarm!.reason}` });
    await waitFor('dev to run release 1 again', () => api<{ stages: Array<{ name: string; services: Array<{ release: string; state: string }> }> }>('/api/v1/projects/shop/status'), (s) => s.stages[0]!.services[0]!.release === good.releaseId && s.stages[0]!.services[0]!.state === 'succeeded', 30_000, 200);
    expect((await readFile(join(dir, 'dev.txt'), 'utf8')).trim()).toBe('api:1');
    expect((await api<{ stages: Array<{ watching?: unknown[] }> }>('/api/v1/projects/shop/status')).stages[0]!.watching).toBeUndefined();

    // Release 2 failed in dev: it does not promote; release 1 still may.
    const shown = await api<{ stages: Array<{ stage: string; result: string }> }>(`/api/v1/projects/shop/releases/${bad.releaseId}`);
    expect(shown.stages).toEqual([expect.objectContaining({ stage: 'dev', result: 'fail' })]);
    const refused = await cli(['promote', '--project', 'shop', '--release', bad.releaseId, '--stage', 'prod']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`release ${bad.releaseId} cannot be promoted to 'prod': it has not passed dev`);

    // Once per alarm: the alert keeps firing, nothing more happens (a negative: give the 1 s polls a few rounds).
    await new Promise((r) => setTimeout(r, 3000));
    expect(await events('sh.slipway.release.alarm')).toHaveLength(1);
    expect(await events('sh.slipway.release.rollback')).toHaveLength(1);
  });

  it('prod waits while an alarm of dev fires, fails at its timeout, and enters once the alert resolves', async () => {
    expect(await firing()).toHaveLength(1);
    const { runs } = await api<{ runs: ApiRun[] }>('/api/v1/runs?project=shop&stage=dev&state=succeeded');
    const good = runs.at(-1)!.releaseId;
    const promoted = await cli(['promote', '--project', 'shop', '--release', good, '--stage', 'prod', '--json']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const { runId } = JSON.parse(promoted.stdout) as { runId: string };
    const held = await untilRun(runId, 'waiting on dev alarms', (r) => r.state === 'waiting');
    expect(held.tasks[0]).toMatchObject({ name: 'upstream-alarms', state: 'waiting', message: expect.stringContaining("waiting for alarms of stage 'dev' to stop firing") });
    expect(held.tasks[0]!.message).toContain('alarm api-errors: HighErrorRate{');
    const failed = await untilRun(runId, 'failed at the timeout', (r) => r.state === 'failed');
    expect(failed.tasks[0]).toMatchObject({ result: 'fail', message: expect.stringContaining("alarms of stage 'dev' did not clear within 12s: alarm api-errors: HighErrorRate{") });
    expect(failed.tasks[1]!.state).not.toBe('finished');

    errors.set({ service: 'api' }, 0);
    await waitFor('the alert to resolve', firing, (a) => a.length === 0, 20_000);
    const retried = await cli(['retry', runId]);
    expect(retried.code, retried.stderr).toBe(0);
    const passed = await untilRun(runId, 'succeeded', (r) => r.state === 'succeeded');
    expect(passed.tasks[0]).toMatchObject({ result: 'pass', message: "no alarm of stage 'dev' is firing (api-errors)" });
    expect((await readFile(join(dir, 'prod.txt'), 'utf8')).trim()).toBe('api:1');
  });
});
