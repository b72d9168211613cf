/**
 * The load-test report and the recorded sample through a real `slipway server` and the real
 * CLI: `slipway loadtest report RUN` shows each level, `slipway traffic show` the redacted
 * requests, and the API routes behind them answer the same.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const ADMIN = 'slw_e2e-admin-token-0123456789abcdef';
const VERSIONS = fileURLToPath(new URL('../../examples/demo-app/versions/', import.meta.url));

const PIPELINE = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
      traffic: {record: {sample: 1, max: 20, headers: [accept, authorization]}}
      tasks:
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
        - {name: load, kind: loadtest, properties: {baseline: {rps: 5}, levels: [1, 2], duration: 1s, thresholds: {errorRate: 0.01, p99Ms: 2000}}}
`;

interface ApiRun {
  id: string;
  state: string;
  tasks: { name: string; message?: string }[];
}

describe('loadtest report and recorded traffic through the server and the CLI', () => {
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-loadtest-'));
    await writeFile(join(dir, 'slipway.yaml'), PIPELINE);
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await removeDataDir(dir);
  });

  async function cli(args: string[]) {
    const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
    const { code } = await child.exited;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  async function api<T>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function finished(runId: string): Promise<ApiRun> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { body } = await api<ApiRun>(`/api/v1/runs/${runId}`);
      if (['succeeded', 'failed', 'aborted'].includes(body.state)) return body;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('shows the levels of a run and the redacted sample', async () => {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', join(VERSIONS, '1.0.0'), '--json']);
    expect(t.code, t.stderr).toBe(0);
    const runId = (JSON.parse(t.stdout) as { runId: string }).runId;
    const run = await finished(runId);
    expect(run.state, JSON.stringify(run.tasks)).toBe('succeeded');

    const report = await cli(['loadtest', 'report', runId]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^load \(loadtest\) · pass · passes 2 levels up to 2× \(10 rps\)/);
    expect(report.stdout).toMatch(/baseline 5 rps \(declared\) · target http:\/\/127\.0\.0\.1:\d+\/ \(slot blue\)/);
    expect(report.stdout).toMatch(/^1×\s+5\s+\d+/m);
    expect(report.stdout).toMatch(/^2×\s+10\s+\d+/m);
    const { body } = await api<{ reports: { task: string; output: { levels: unknown[] } }[] }>(`/api/v1/runs/${runId}/loadtests`);
    expect(body.reports.map((r) => [r.task, r.output.levels.length])).toEqual([['load', 2]]);

    // Live traffic through the stage's router is recorded without its Authorization header.
    const endpoint = /target (http:\/\/127\.0\.0\.1:\d+)\//.exec(report.stdout)![1]!;
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${endpoint}/?q=${i}&token=secret${i}`, { headers: { authorization: 'Bearer hunter2', accept: 'text/plain' } }, (res) => res.resume().on('end', resolve));
        req.on('error', reject);
        req.end();
      });
    }
    const shown = await cli(['traffic', 'show', '--project', 'shop', '--stage', 'prod', '--service', 'web']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^shop\/prod\/web: 3 requests kept, 3 recorded of 3 live requests seen/);
    expect(shown.stdout).toMatch(/GET\s+\/\?q=2\s+accept: text\/plain/);
    expect(shown.stdout).not.toMatch(/hunter2|secret|authorization/i);

    const missing = await api<{ code: string; message: string }>('/api/v1/traffic/shop/staging/web');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/stage 'staging' is not defined in project 'shop'; defined stages: prod/);
  });
});
