/**
 * First value and the live connection, in Chromium against a real `slipway server`
 * running the demo project with --open-read (as `npm start` does): the first page shows
 * the demo project without a token, read-only; the demo release moves through it live;
 * the screenshot for the README is taken; when the server goes away the page says so,
 * and when it is back the page resumes from the last event it had, without a reload.
 */
import { cp, copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../e2e/support/server-process.js';
import { ROOT, SHOTS, browserSkipReason, call, launch, type Browser } from './support/browser.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const ADMIN = `slw_test_admin_${'y'.repeat(24)}`;
const skip = browserSkipReason();

let dir: string;
let server: ServerProcess;
let b: Browser;
let base: string;

const cell = (stage: string, service: string, extra = '') => `td.cell[data-stage="${stage}"][data-service="${service}"]${extra}`;
const start = (port = 0) =>
  startServerProcess(['--open-read', '--data', join(dir, 'data'), ...(port ? ['--port', String(port)] : []), join(dir, 'demo', 'slipway.yaml')], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });

describe.skipIf(skip !== undefined)(`the dashboard live, on the demo project ${skip ?? ''}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-web-live-'));
    await cp(join(ROOT, 'examples', 'demo'), join(dir, 'demo'), { recursive: true });
    server = await start();
    base = server.url;
    b = await launch();
  });
  afterAll(async () => {
    await b?.close();
    await server?.stop();
    if (dir) await removeDataDir(dir);
  });

  it("prints the dashboard's address, and its first page shows the demo project read-only, without a token", async () => {
    expect(server.stderr()).toContain(`dashboard: ${base}/ (anyone here may look; sign in with a token to act)`);
    const { page } = b;
    await page.goto(`${base}/`);
    await page.locator('table.matrix[data-project="shop"]').waitFor();
    expect(await page.locator('.top').textContent()).toContain('read-only');
    const rows = await page.locator('table.matrix[data-project="shop"] tbody th').allTextContents();
    expect(rows).toStrictEqual(['dev', 'hardening', 'production']);
  });

  it('follows the demo release to production live, and takes the README screenshot', async () => {
    const { page } = b;
    await page.locator('[data-live="live"]').waitFor();
    const first = await call<{ releaseId: string }>(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'demo/frontend:1.0.0', backend: 'demo/backend:1.0.0' }, commit: '4f2c9e1' });
    for (const service of ['frontend', 'backend']) await page.locator(cell('production', service, `[data-state="succeeded"][data-release="${first.releaseId}"]`)).waitFor({ timeout: 30_000 });
    // A newer frontend follows, so the picture shows a release on its way.
    const next = await call<{ releaseId: string }>(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'demo/frontend:1.1.0' } });
    await page.locator(cell('dev', 'frontend', `[data-release="${next.releaseId}"]`)).waitFor();
    await page.locator(cell('hardening', 'frontend', `[data-release="${next.releaseId}"]`)).waitFor({ timeout: 30_000 });
    const shot = join(SHOTS, 'dashboard.png');
    await page.setViewportSize({ width: 1100, height: 520 });
    await page.screenshot({ path: shot });
    await page.setViewportSize({ width: 1280, height: 800 });
    // `SLIPWAY_UPDATE_SCREENSHOTS=1` refreshes the picture the README shows.
    if (process.env['SLIPWAY_UPDATE_SCREENSHOTS'] === '1') await copyFile(shot, join(ROOT, 'docs', 'dashboard.png'));
  });

  it('says when the connection is lost and resumes without a gap when the server is back', async () => {
    const { page } = b;
    await page.evaluate("window.marker = 'same page'");
    const port = Number(new URL(base).port);
    await server.stop();
    const banner = page.getByTestId('live-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Connection lost, reconnecting…');
    server = await start(port);
    // Committed at once: whether it lands before or after the page reconnects, Last-Event-ID brings it.
    const made = await call<{ releaseId: string }>(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { backend: 'demo/backend:1.2.0' } });
    await page.locator(cell('dev', 'backend', `[data-release="${made.releaseId}"]`)).waitFor({ timeout: 30_000 });
    await banner.waitFor({ state: 'detached' });
    expect(await page.evaluate('window.marker')).toBe('same page');
  });
});
