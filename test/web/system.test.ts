/**
 * The System page in Chromium against a real `slipway server` (one process, on the store
 * this run uses: SQLite, or its own PostgreSQL database in the `postgres` project): reached
 * from the main nav, it shows the store kind, one replica that answered and is the active one,
 * and readiness; it polls by itself; it passes axe-core light and dark; and when the server
 * goes away it says the server cannot be reached, keeping what it last saw.
 * Two replicas and a takeover: system-replicas.test.ts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eStore } from '../e2e/support/e2e-store.js';
import type { ServerProcess } from '../e2e/support/server-process.js';
import { SHOTS, browserSkipReason, call, openSignedIn, seriousViolations, type Browser } from './support/browser.js';
import { closeDashboard, openDashboard } from './support/dashboard.js';

const PIPELINE = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: sys}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
`;
const ADMIN = `slw_test_admin_${'s'.repeat(24)}`;
const skip = browserSkipReason();

let dir: string;
let server: ServerProcess;
let b: Browser;
let base: string;

describe.skipIf(skip !== undefined)(`the System page ${skip ?? ''}`, () => {
  beforeAll(async () => {
    ({ dir, server, base, b } = await openDashboard('system', PIPELINE, ADMIN));
  });
  afterAll(() => closeDashboard({ dir, server, b }));

  it('is in the main nav after Audit and shows the store, the one active replica that answered, and readiness', async () => {
    const { page } = b;
    await openSignedIn(page, base, ADMIN, '/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toStrictEqual(['Environments', 'Approvals', 'Insights', 'Audit', 'System']);
    await nav.getByRole('link', { name: 'System' }).click();
    await page.getByRole('heading', { level: 1, name: 'System' }).waitFor();
    expect(page.url()).toBe(`${base}/system`);
    expect(await page.title()).toBe('System · Slipway');

    const status = await call<{ replica: { id: string }; store: string }>(base, ADMIN, 'GET', '/api/v1/system/replicas');
    expect(status.store).toBe(e2eStore());
    await page.locator(`[data-testid="system-replica"][data-role="active"][data-id="${status.replica.id}"]`).waitFor();
    await page.locator(`[data-testid="system-active"][data-id="${status.replica.id}"]`).waitFor();
    expect(await page.getByTestId('system-store').textContent()).toContain(e2eStore());
    expect(await page.getByTestId('system-replica').textContent()).toContain('active');
    await page.locator('[data-testid="system-ready"][data-ready="yes"]').waitFor();
    expect(await page.getByTestId('system-ready').textContent()).toContain('ready');
    if (e2eStore() === 'sqlite') {
      expect(await page.getByTestId('system-lease-ms').textContent()).toContain('none');
      expect(await page.getByTestId('system-active').textContent()).toContain('no lease (one process)');
    } else {
      expect(await page.getByTestId('system-lease-ms').textContent()).toMatch(/^\d+ ms$/);
      expect(await page.getByTestId('system-active').textContent()).toMatch(/expires in \d+s/);
    }
    expect(await page.getByTestId('system-updated').textContent()).toMatch(/^Updated \d+s ago · refreshes every 2 s$/);
    // It asks again by itself (no reload: the marker stays).
    await page.evaluate("window.marker = 'same page'");
    await page.waitForRequest((r) => r.url() === `${base}/api/v1/system/replicas`);
    await page.waitForRequest((r) => r.url() === `${base}/readyz`);
    expect(await page.evaluate('window.marker')).toBe('same page');
    await page.screenshot({ path: join(SHOTS, `system-${e2eStore()}.png`), fullPage: true });
  });

  it('passes axe-core, light and dark, with no serious or critical violation', async () => {
    const { page } = b;
    const found: string[] = [];
    for (const theme of ['light', 'dark']) {
      await page.evaluate(`localStorage.setItem('slipway.theme', '${theme}')`);
      await page.goto(`${base}/system`);
      await page.locator('[data-testid="system-ready"]').waitFor();
      await page.locator('[data-testid="system-active"]').waitFor();
      found.push(...(await seriousViolations(page)).map((v) => `${theme}: ${v}`));
    }
    await page.evaluate(`localStorage.removeItem('slipway.theme')`);
    expect(found).toStrictEqual([]);
  });

  it('says the server cannot be reached when it is gone, keeps what it saw, and keeps trying', async () => {
    const { page } = b;
    await page.goto(`${base}/system`);
    await page.locator('[data-testid="system-ready"][data-ready="yes"]').waitFor();
    expect(await page.getByTestId('system-unreachable').count()).toBe(0);
    await server.stop();
    const alert = page.getByTestId('system-unreachable');
    await alert.waitFor();
    expect(await alert.getAttribute('role')).toBe('alert');
    expect(await alert.textContent()).toMatch(/^Cannot reach the server \(.+\)\. Still trying every 2 s; below is what it said \d+s ago\.$/);
    // What it last saw stays on the page.
    expect(await page.getByTestId('system-store').textContent()).toContain(e2eStore());
    await page.screenshot({ path: join(SHOTS, `system-unreachable-${e2eStore()}.png`), fullPage: true });
  });
});
