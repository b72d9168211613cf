/**
 * A canary deploy of the demo app (real processes behind the local platform's weighted
 * router) seen on the run page in Chromium: while the canary pauses, the chart of the new
 * version's traffic share shows its first step; when it ends, the weights over time and
 * the per-slot request rates (traffic the test sends through the router) are drawn, and the
 * page passes axe-core.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../e2e/support/server-process.js';
import { ROOT, SHOTS, browserSkipReason, call, openSignedIn, seriousViolations, until, type Browser } from './support/browser.js';
import { closeDashboard, openDashboard } from './support/dashboard.js';

const ADMIN = `slw_test_admin_${'c'.repeat(24)}`;
const skip = browserSkipReason();
const VERSIONS = join(ROOT, 'examples', 'demo-app', 'versions');

const PIPELINE = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: web}
spec:
  services: [web]
  stages:
    - name: production
      tasks:
        - name: deploy
          kind: deploy
          properties:
            strategy: canary
            steps:
              - {setWeight: 20}
              # Long enough for Chromium to open the page and draw the chart while it lasts, on a loaded machine too.
              - {pause: 10s}
              - {setWeight: 50}
              - {pause: 3s}
`;

let dir: string;
let server: ServerProcess;
let b: Browser;
let base: string;

interface RunView {
  id: string;
  state: string;
  tasks: { name: string; state: string }[];
}

const release = (version: string) => call<{ releaseId: string; runId: string }>(base, ADMIN, 'POST', '/api/v1/projects/web/releases', { artifacts: { web: join(VERSIONS, version) } });
const run = (id: string) => call<RunView>(base, ADMIN, 'GET', `/api/v1/runs/${id}`);

describe.skipIf(skip !== undefined)(`canary charts on the run page ${skip ?? ''}`, () => {
  beforeAll(async () => {
    ({ dir, server, base, b } = await openDashboard('canary', PIPELINE, ADMIN));
  });
  afterAll(() => closeDashboard({ dir, server, b }));

  it('draws the canary weights over time and per-slot request rates, live', async () => {
    const first = await release('1.0.0');
    await until('1.0.0 live', async () => ((await run(first.runId)).state === 'succeeded' ? true : undefined));
    const status = await call<{ stages: { name: string; services: { endpoint: string | null }[] }[] }>(base, ADMIN, 'GET', '/api/v1/projects/web/status');
    const endpoint = status.stages[0]!.services[0]!.endpoint!;
    expect(endpoint).toMatch(/^http:/);

    const second = await release('1.1.0');
    // Traffic through the router while the canary runs, so both slots have a request rate.
    let sending = true;
    const traffic = (async () => {
      while (sending) await fetch(endpoint).then((r) => r.arrayBuffer()).catch(() => undefined);
    })();
    try {
      const { page } = b;
      await openSignedIn(page, base, ADMIN, `/runs/${second.runId}`);
      const charts = page.getByTestId('canary-charts');
      const weight = charts.getByRole('img', { name: /^Traffic to the new version/ });
      await weight.waitFor({ timeout: 30_000 });
      // Seen while the canary is still on its way (a pause of the first weight).
      expect(await page.locator('li.task[data-task="deploy"]').getAttribute('data-state')).not.toBe('finished');
      expect(await weight.getAttribute('aria-label')).toContain('20.00 % of traffic');

      await page.locator('li.task[data-task="deploy"][data-state="finished"]').waitFor({ timeout: 30_000 });
      await until('the final chart', async () => ((await weight.getAttribute('aria-label'))?.includes('100.00 % of traffic') ? true : undefined), 10_000);
      const label = (await weight.getAttribute('aria-label'))!;
      expect(label).toContain('50.00 % of traffic');
      const rates = charts.getByRole('img', { name: /^Requests per slot/ });
      // Both slots served: the old one before and during the canary, the new one from 20 %.
      expect(await rates.getAttribute('aria-label')).toMatch(/blue: .*[1-9]\d*\.\d\d requests\/s.*; green: .*[1-9]\d*\.\d\d requests\/s/);
      await page.screenshot({ path: join(SHOTS, 'run-canary.png'), fullPage: true });
      expect(await seriousViolations(page)).toStrictEqual([]);
    } finally {
      sending = false;
      await traffic;
    }
  }, 120_000);
});
