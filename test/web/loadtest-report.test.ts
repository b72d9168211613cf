/**
 * A load test's report on the run page in Chromium (issue 14): two releases run a short
 * `loadtest` (levels 1× and 2× of a declared 5 rps, 1 s each) against a tiny HTTP server the
 * test starts; the second release's run page, opened while its run is under way, shows a
 * table with both levels' figures and verdicts, the first release's p99 per level, a p99
 * chart, and passes axe-core.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../e2e/support/server-process.js';
import { ROOT, SHOTS, browserSkipReason, call, openSignedIn, seriousViolations, until, type Browser } from './support/browser.js';
import { closeDashboard, openDashboard } from './support/dashboard.js';

const ADMIN = `slw_test_admin_${'l'.repeat(24)}`;
const skip = browserSkipReason();
const VERSIONS = join(ROOT, 'examples', 'demo-app', 'versions');

const pipeline = (port: number) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
      tasks:
        - name: load
          kind: loadtest
          properties: {url: 'http://127.0.0.1:${port}/', baseline: {rps: 5}, levels: [1, 2], duration: 1s, thresholds: {errorRate: 0.01, p99Ms: 2000}}
`;

let dir: string;
let server: ServerProcess;
let target: Server;
let served = 0;
let b: Browser;
let base: string;

const release = (version: string) => call<{ releaseId: string; runId: string }>(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { web: join(VERSIONS, version) } });
const runState = async (id: string) => (await call<{ state: string }>(base, ADMIN, 'GET', `/api/v1/runs/${id}`)).state;

describe.skipIf(skip !== undefined)(`load-test report on the run page ${skip ?? ''}`, () => {
  beforeAll(async () => {
    target = createServer((_req, res) => {
      served++;
      res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    ({ dir, server, base, b } = await openDashboard('loadtest', pipeline((target.address() as AddressInfo).port), ADMIN));
  });
  afterAll(async () => {
    await closeDashboard({ dir, server, b });
    await new Promise((r) => target?.close(r));
  });

  it('shows each level with its figures and verdict, the previous release p99 and a p99 chart', async () => {
    const first = await release('1.0.0');
    await until('the first load test', async () => ((await runState(first.runId)) === 'succeeded' ? true : undefined));
    expect(served).toBeGreaterThan(0);

    const second = await release('1.1.0');
    const { page } = b;
    await openSignedIn(page, base, ADMIN, `/runs/${second.runId}`);
    const report = page.locator('[data-testid="loadtest-report"][data-task="load"]');
    const table = report.getByRole('table', { name: 'Load test load: figures per level' });
    await table.locator('tr[data-level="2"]').waitFor({ timeout: 30_000 });
    await page.locator('li.task[data-task="load"][data-state="finished"]').waitFor({ timeout: 30_000 });

    const headers = await table.locator('thead th').allTextContents();
    expect(headers).toStrictEqual(['Level', 'Target rps', 'Achieved rps', 'p50', 'p95', 'p99', 'Error rate', 'Verdict', 'Previous p99']);
    for (const [level, rps] of [
      [1, 5],
      [2, 10],
    ] as const) {
      const cells = await table.locator(`tr[data-level="${level}"]`).locator('th, td').allTextContents();
      expect(cells[0]).toBe(`${level}×`);
      expect(cells[1]).toBe(String(rps));
      expect(Number(cells[2])).toBeGreaterThan(0);
      for (const c of cells.slice(3, 6)) expect(c).toMatch(/^\d+ ms$/);
      expect(cells[6]).toBe('0.0%');
      // A busy machine may make the second release slower than the first: a warning naming the regression.
      expect(cells[7]).toMatch(/^(pass|warning: p99 \d+ ms is .* of rel-\S+ \(at most 1\.5×\))$/);
      // The first release's figures at the same level.
      expect(cells[8]).toMatch(/^\d+ ms$/);
    }
    await expect(report.locator('.task-msg').textContent()).resolves.toMatch(/^(passes 2 levels up to 2× \(10 rps\)|warning at [12]×)/);
    const chart = report.getByRole('img', { name: /^p99 latency per level of load/ });
    const label = (await chart.getAttribute('aria-label'))!;
    expect(label).toMatch(/p99: 1×: \d+\.\d\d ms, 2×: \d+\.\d\d ms/);
    expect(label).toContain(`p99 of ${first.releaseId}`);
    await page.screenshot({ path: join(SHOTS, 'run-loadtest.png'), fullPage: true });
    expect(await seriousViolations(page)).toStrictEqual([]);
  }, 120_000);
});
