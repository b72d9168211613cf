/**
 * A release gate in a real `slipway server`, against a real Prometheus scraping a real exporter
 * and a real health endpoint: the stage's exit gate passes only when both signals hold in the
 * same sample and stay so for `steady`. Flipping one signal back resets the steadiness; every
 * sample is an event with each signal's value, and `slipway watch` shows the gate in words.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateProgress } from '../../src/executors/index.js';
import { startHealthServer, type HealthServer } from '../executors/gate-server.js';
import type { Exporter, PrometheusStack } from '../support/prometheus.js';
import { prometheusSkipReason, startExporter, startPrometheusStack, waitFor, waitForQuery, waitForTargetUp } from '../support/prometheus.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-0123456789abcdef';
const STEADY_S = 15;

const pipeline = (prometheusUrl: string, healthUrl: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [api]
  stages:
    - name: production
      gates:
        exit:
          interval: 1s
          steady: ${STEADY_S}s
          timeout: 5m
          signals:
            - name: error-rate
              prometheus: {url: '${prometheusUrl}', query: 'max(shop_error_ratio{service="api"})', condition: 'result < 0.01'}
            - name: health
              http: {url: '${healthUrl}', condition: '$.status == "green"'}
      tasks:
        - {name: deploy, kind: noop}
`;

interface Sample {
  seq: number;
  message: string;
  progress: GateProgress;
}

const skip = prometheusSkipReason({ alertmanager: false });

describe.skipIf(skip !== undefined)(`a release gate against a real Prometheus ${skip ?? ''}`, () => {
  let dir: string;
  let exporter: Exporter;
  let stack: PrometheusStack;
  let health: HealthServer;
  let server: ServerProcess;
  let errorRatio: Gauge<string>;

  beforeAll(async () => {
    exporter = await startExporter();
    errorRatio = exporter.gauge('shop_error_ratio', 'errors per request', ['service']);
    errorRatio.set({ service: 'api' }, 0.2);
    health = await startHealthServer({ status: 200, body: { status: 'red' } });
    stack = await startPrometheusStack({ targets: [exporter.address] });
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-gate-'));
    await writeFile(join(dir, 'slipway.yaml'), pipeline(stack.prometheusUrl, health.url));
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'shop_error_ratio', (s) => s[0]?.value === 0.2, 15_000);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await stack?.stop();
    await exporter?.close();
    await health?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[]) {
    const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
    const { code } = await child.exited;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  async function events(runId: string, type: string) {
    const res = await fetch(`${server.url}/api/v1/events?${new URLSearchParams({ run: runId, type, limit: '1000' })}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: Array<{ seq: number; event: { data: Record<string, unknown> } }> }).events;
  }

  /** The gate's samples so far, oldest first, as the API serves them. */
  async function samples(runId: string): Promise<Sample[]> {
    const waiting = await events(runId, 'sh.slipway.task.exit-gate.waiting');
    return waiting
      .map((e) => ({ seq: e.seq, message: String(e.event.data.message), progress: e.event.data.output as GateProgress }))
      .filter((s) => s.progress.samples > 0);
  }

  const reading = (s: Sample, name: string) => s.progress.last?.find((r) => r.name === name);

  /** Waits for a sample after `afterSeq` that `match` accepts. */
  function sampleWhere(runId: string, what: string, match: (s: Sample) => boolean, afterSeq = 0): Promise<Sample> {
    return waitFor(
      `a gate sample where ${what}`,
      async () => (await samples(runId)).filter((s) => s.seq > afterSeq),
      (list) => list.some(match),
      60_000,
      200,
    ).then((list) => list.find(match)!);
  }

  it('passes only when both signals hold in the same sample and stay so for steady; a flip resets it', async () => {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'api', '--artifact', 'api:1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const { runId } = JSON.parse(t.stdout) as { runId: string };
    const watch = slipway(['watch', runId], dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });

    // Both failing: the values are the ones the signals read.
    const bothFail = await sampleWhere(runId, 'both signals fail', (s) => reading(s, 'error-rate')?.value === 0.2 && reading(s, 'health')?.value === 'red');
    expect(bothFail.progress.last).toEqual([
      { name: 'error-rate', type: 'prometheus', pass: false, value: 0.2, detail: 'result 0.2 is not < 0.01' },
      { name: 'health', type: 'http', pass: false, value: 'red', detail: '$.status: "red" is not == "green"' },
    ]);
    expect(bothFail.message).toMatch(/^gate exit-gate: 0 of 2 signals passing; failing: error-rate: result 0\.2 is not < 0\.01; health: .*; sample \d+, next at /);

    // One holds, the other does not: not steady, however long.
    health.set({ status: 200, body: { status: 'green' } });
    const oneHolds = await sampleWhere(runId, 'only health passes', (s) => reading(s, 'health')?.pass === true, bothFail.seq);
    expect(reading(oneHolds, 'error-rate')).toMatchObject({ pass: false, value: 0.2 });
    expect(oneHolds.progress.passingSince).toBeUndefined();
    expect(oneHolds.message).toMatch(/^gate exit-gate: 1 of 2 signals passing; failing: error-rate: result 0\.2 is not < 0\.01;/);

    // Both hold in the same sample: steadiness starts.
    errorRatio.set({ service: 'api' }, 0.001);
    const together = await sampleWhere(runId, 'both pass', (s) => s.progress.passingSince !== undefined, oneHolds.seq);
    // Flip one back before steady ends: the next sample fails and steadiness is gone.
    health.set({ status: 200, body: { status: 'red' } });
    expect(together.progress.last).toEqual([
      { name: 'error-rate', type: 'prometheus', pass: true, value: 0.001, detail: '0.001: result < 0.01' },
      { name: 'health', type: 'http', pass: true, value: 'green', detail: '$.status is "green", == "green"' },
    ]);
    expect(together.message).toMatch(new RegExp(`^gate exit-gate: 2 of 2 signals passing; steady for 0s of ${STEADY_S}s; sample \\d+`));
    const reset = await sampleWhere(runId, 'health fails again', (s) => reading(s, 'health')?.pass === false, together.seq);
    expect(reset.progress.passingSince).toBeUndefined();
    expect(reading(reset, 'error-rate')).toMatchObject({ pass: true, value: 0.001 });
    expect(await events(runId, 'sh.slipway.task.exit-gate.finished'), 'the gate must not have passed before the flip').toHaveLength(0);

    // Both hold again, now for the whole steady period: the gate passes and the run succeeds.
    health.set({ status: 200, body: { status: 'green' } });
    const again = await sampleWhere(runId, 'both pass again', (s) => s.progress.passingSince !== undefined, reset.seq);
    expect(again.progress.passingSince!).toBeGreaterThan(together.progress.passingSince!);
    const { code } = await watch.exited;
    expect(code, watch.stdout() + watch.stderr()).toBe(0);

    const finished = await events(runId, 'sh.slipway.task.exit-gate.finished');
    expect(finished).toHaveLength(1);
    const data = finished[0]!.event.data as { result: string; message: string; output: GateProgress };
    expect(data.result).toBe('pass');
    expect(data.message).toMatch(new RegExp(`^gate exit-gate passed: 2 of 2 signals held for ${STEADY_S}(\\.\\d+)?s \\(sample \\d+\\)$`));
    expect(data.output.passingSince).toBe(again.progress.passingSince);
    expect(data.output.lastAt! - data.output.passingSince!).toBeGreaterThanOrEqual(STEADY_S * 1000);

    // Every sample in between is an event, with its number counting up by one.
    const all = await samples(runId);
    expect(all.map((s) => s.progress.samples)).toEqual(all.map((_, i) => i + 1));
    // The exit gate ran after the stage's own task, and `slipway watch` showed it in words.
    const out = watch.stdout();
    expect(out.indexOf('deploy')).toBeLessThan(out.indexOf('exit-gate'));
    expect(out).toMatch(/exit-gate\s+waiting: gate exit-gate: 1 of 2 signals passing; failing: error-rate/);
    expect(out).toMatch(new RegExp(`exit-gate\\s+waiting: gate exit-gate: 2 of 2 signals passing; steady for \\d+(\\.\\d+)?s of ${STEADY_S}s`));
    expect(out).toMatch(/exit-gate\s+pass/);
  }, 120_000);
});
