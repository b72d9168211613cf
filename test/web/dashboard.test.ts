/**
 * The dashboard in Chromium against a real `slipway server`: sign in by pasting a token;
 * a two-service release appears in the matrix and moves on live (no reload); a token
 * without the scope is refused in the API's words; an approval given in the page sends
 * the release to production; a rollback chosen in a cell's history puts the earlier
 * release back; the main pages pass axe-core with no serious or critical violation.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../e2e/support/server-process.js';
import { SHOTS, browserSkipReason, call, createToken, openSignedIn, seriousViolations, type Browser } from './support/browser.js';
import { closeDashboard, openDashboard } from './support/dashboard.js';

const PIPELINE = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
        - {name: smoke, kind: shell, properties: {run: "echo smoke test of $SLIPWAY_SERVICES passed"}}
    - name: production
      after: [dev]
      tasks:
        - {name: approval, kind: approval, properties: {pass: manual}}
        - {name: deploy, kind: noop}
`;
const ADMIN = `slw_test_admin_${'x'.repeat(24)}`;
const skip = browserSkipReason();

let dir: string;
let server: ServerProcess;
let b: Browser;
let base: string;
const release: { first?: string; second?: string } = {};

const cell = (stage: string, service: string, extra = '') => `td.cell[data-stage="${stage}"][data-service="${service}"]${extra}`;

describe.skipIf(skip !== undefined)(`the dashboard in a browser ${skip ?? ''}`, () => {
  beforeAll(async () => {
    ({ dir, server, base, b } = await openDashboard('dashboard', PIPELINE, ADMIN));
  });
  afterAll(() => closeDashboard({ dir, server, b }));

  it('asks for a token, refuses an unknown one in the API words, and signs in with a pasted one', async () => {
    const { page } = b;
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.fill('#token', 'slw_not_a_token_of_this_server');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('the token is not known here');
    await page.fill('#token', ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('table.matrix[data-project="shop"]').waitFor();
    expect(page.url()).toBe(`${base}/`);
    // Kept in the tab's session storage, never in the address.
    expect(await page.evaluate("sessionStorage.getItem('slipway.token')")).toBe(ADMIN);
  });

  it('shows a two-service release arriving and moving on live, without a reload', async () => {
    const { page } = b;
    await page.goto(`${base}/projects/shop`);
    await page.locator('[data-live="live"]').waitFor();
    await page.evaluate("window.marker = 'same page'");
    const made = await call<{ releaseId: string }>(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'registry/frontend:1.0.0', backend: 'registry/backend:1.0.0' } });
    release.first = made.releaseId;
    for (const service of ['frontend', 'backend']) {
      await page.locator(cell('dev', service, `[data-state="succeeded"][data-release="${made.releaseId}"]`)).waitFor();
      await page.locator(cell('production', service, '[data-state="waiting"] .mark.waiting')).waitFor();
    }
    expect(await page.locator(cell('dev', 'frontend')).textContent()).toContain('registry/frontend:1.0.0');
    expect(await page.evaluate('window.marker')).toBe('same page');
  });

  it('shows the API refusal in words when the token lacks the scope, and changes nothing', async () => {
    const { page } = b;
    const reader = await createToken(base, ADMIN, 'reader', ['read']);
    await openSignedIn(page, base, reader, '/approvals');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('button', { name: 'Yes, approve' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("token 'reader' lacks scope approve:production (or approve:*); it has: read");
    expect(await alert.textContent()).toContain('FORBIDDEN');
    const { approvals } = await call<{ approvals: unknown[] }>(base, ADMIN, 'GET', '/api/v1/approvals');
    expect(approvals).toHaveLength(1);
  });

  it('approves from the run page and the release goes to production', async () => {
    const { page } = b;
    await openSignedIn(page, base, ADMIN, '/projects/shop');
    // matrix cell → its history → the waiting run
    await page.locator(cell('production', 'frontend', ' a')).click();
    await page.getByRole('heading', { name: 'frontend in production' }).waitFor();
    await page.locator('tr[data-run] a[href^="/runs/"]').first().click();
    await page.locator('li.task[data-task="approval"][data-state="waiting"]').waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('dialog[open]').getByLabel('Comment').fill('looks good in dev');
    await page.getByRole('button', { name: 'Yes, approve' }).click();
    await page.locator('li.task[data-task="deploy"][data-state="finished"]').waitFor();
    const approvals = page.locator('table.list').last();
    await approvals.getByText('looks good in dev').waitFor();
    expect(await approvals.textContent()).toContain('token:admin-env');
    // The smoke test's output is on the dev run's page.
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
    await page.goto(`${base}/projects/shop`);
    for (const service of ['frontend', 'backend']) await page.locator(cell('production', service, `[data-state="succeeded"][data-release="${release.first}"]`)).waitFor();
  });

  it('rolls dev back to an earlier release chosen in the cell history', async () => {
    const { page } = b;
    await page.goto(`${base}/projects/shop`);
    await page.locator('[data-live="live"]').waitFor();
    const made = await call<{ releaseId: string }>(base, ADMIN, 'POST', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'registry/frontend:1.1.0', backend: 'registry/backend:1.1.0' } });
    release.second = made.releaseId;
    await page.locator(cell('dev', 'frontend', `[data-state="succeeded"][data-release="${made.releaseId}"]`)).waitFor();
    await page.locator(cell('dev', 'frontend', ' a')).click();
    const first = release.first!;
    await page.getByRole('button', { name: `Roll back to ${first.slice(0, 12)}…` }).click();
    await page.locator('dialog[open]').getByLabel('Reason (recorded in the event log)').fill('1.1.0 misbehaves');
    await page.getByRole('button', { name: /^Yes, roll back/ }).click();
    await page.getByRole('heading', { name: 'frontend in dev' }).waitFor();
    await page.goto(`${base}/projects/shop`);
    for (const service of ['frontend', 'backend']) await page.locator(cell('dev', service, `[data-release="${first}"][data-state="succeeded"] .mark.rolledback`)).waitFor();
    const events = await call<{ events: { event: { type: string; data: { reason?: string; by?: string } } }[] }>(base, ADMIN, 'GET', '/api/v1/events?type=sh.slipway.release.rollback');
    expect(events.events.map((e) => e.event.data)).toMatchObject([{ reason: '1.1.0 misbehaves', by: 'token:admin-env' }]);
  });

  it('shows the audit trail of what was done in the page, searchable, with the chain verified; and the DORA figures the API computes', async () => {
    const { page } = b;
    await page.goto(`${base}/audit`);
    const verified = page.getByTestId('audit-verify');
    await verified.waitFor();
    expect(await verified.textContent()).toMatch(/^Chain verified: \d+ rows/);
    const table = page.locator('table.list');
    await table.getByText('task.approve').waitFor();
    expect(await table.textContent()).toContain('release.rollback');
    await page.getByLabel('Search').fill('misbehaves');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction("document.querySelectorAll('table.list tbody tr').length === 1");
    expect(await page.locator('table.list tbody tr').textContent()).toContain('release.rollback');

    const dora = await call<{ deploymentFrequency: { deployments: number }; changeFailRate: { deployments: number } }>(base, ADMIN, 'GET', `/api/v1/insights/dora?project=shop&stage=production&from=${Date.now() - 30 * 86_400_000}`);
    expect(dora.deploymentFrequency.deployments).toBe(1);
    await page.goto(`${base}/insights`);
    const figures = page.getByTestId('dora');
    await figures.waitFor();
    expect(await figures.locator('li').first().textContent()).toContain(`on ${dora.deploymentFrequency.deployments} deployment`);
  });

  it('passes axe-core on the main pages, light and dark, with no serious or critical violation', async () => {
    const { page } = b;
    const runs = await call<{ runs: { id: string }[] }>(base, ADMIN, 'GET', '/api/v1/runs?project=shop&stage=dev');
    const pages = ['/', '/projects/shop/pipeline', `/runs/${runs.runs.at(-1)!.id}`, `/projects/shop/releases/${release.first}`, '/projects/shop/stages/dev/services/frontend', '/approvals', '/insights', '/audit', '/signin'];
    const found: string[] = [];
    for (const theme of ['light', 'dark']) {
      await page.evaluate(`localStorage.setItem('slipway.theme', '${theme}')`);
      // Dark differs only in colours: the matrix, a run and a form cover its palette.
      for (const path of theme === 'light' ? pages : [pages[0]!, pages[2]!, '/signin']) {
        await page.goto(`${base}${path}`);
        await page.locator('main h1').first().waitFor();
        await page.locator('[data-live="live"]').waitFor();
        await page.waitForFunction("!document.querySelector('main').textContent.includes('Loading…')");
        found.push(...(await seriousViolations(page)).map((v) => `${theme} ${path}: ${v}`));
      }
    }
    expect(found).toStrictEqual([]);
  }, 180_000);

  it('an approval whose answer was lost is sent again with the same Idempotency-Key and given once', async () => {
    const { page } = b;
    // The second release waits for its approval in production.
    await openSignedIn(page, base, ADMIN, '/approvals');
    const keys: string[] = [];
    let dropped = false;
    await page.route('**/api/v1/tasks/*/approve', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (dropped) return route.continue();
      dropped = true;
      // The server gets it and applies it; the page never hears the answer.
      await route.fetch();
      return route.abort('connectionreset');
    });
    try {
      // The second send's answer: the first one's, kept under the key (the approval already went live, so the page may have moved on).
      const replay = page.waitForResponse((r) => r.url().endsWith('/approve') && r.request().method() === 'POST', { timeout: 20_000 });
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.locator('dialog[open]').getByLabel('Comment').fill('approved once');
      await page.getByRole('button', { name: 'Yes, approve' }).click();
      const answer = await replay;
      expect(answer.status()).toBe(200);
      expect(answer.headers()['idempotent-replayed']).toBe('true');
    } finally {
      await page.unroute('**/api/v1/tasks/*/approve');
    }
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^web-[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(await page.getByRole('alert').count()).toBe(0);
    const given = await call<{ events: { event: { data: { comment?: string } } }[] }>(base, ADMIN, 'GET', '/api/v1/events?type=sh.slipway.release.approval');
    expect(given.events.filter((e) => e.event.data.comment === 'approved once')).toHaveLength(1);
    await page.goto(`${base}/projects/shop`);
    for (const service of ['frontend', 'backend']) await page.locator(cell('production', service, `[data-state="succeeded"][data-release="${release.second}"]`)).waitFor();
  });
});
