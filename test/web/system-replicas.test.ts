/**
 * The System page through a standby: two real `slipway server` replicas on one PostgreSQL,
 * the dashboard opened through the STANDBY. The page says the standby answered and names the
 * active replica; after kill -9 of the active one it shows, without a reload, the standby's
 * 503 NO_ACTIVE_REPLICA in the server's words while the dead replica's lease runs out, then
 * the takeover: the standby answering as the active replica, ready again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { ADMIN, activeReplica, startReplica, stopReplica, writeProject, type Replica } from '../e2e/replicas-cluster.js';
import { SHOTS, browserSkipReason, launch, openSignedIn, type Browser } from './support/browser.js';

// Renewed every third of it: a killed replica's lease runs on for at least 6.7 s, several polls
// of the page (every 2 s, plus its requests' time on a loaded machine), so the page must show
// the time without an active replica.
const LEASE_MS = 10_000;
const skip = browserSkipReason() ?? (pgSkipReason() !== undefined ? pgSkipNote() : undefined);

let dir: string;
let db: TestDatabase | undefined;
const replicas: Replica[] = [];
let b: Browser | undefined;

/** Records in the page every readiness line, "no active" note and answering role it shows. */
const RECORD = `(() => {
  window.seen = { ready: [], noActive: [], roles: [] };
  const add = (list, v) => { if (v && list.at(-1) !== v) list.push(v); };
  const look = () => {
    const r = document.querySelector('[data-testid="system-ready"]');
    add(window.seen.ready, r && (r.dataset.ready + ': ' + r.textContent));
    const n = document.querySelector('[data-testid="system-no-active"]');
    add(window.seen.noActive, n && n.textContent);
    const rep = document.querySelector('[data-testid="system-replica"]');
    add(window.seen.roles, rep && (rep.dataset.id + ' ' + rep.dataset.role));
  };
  new MutationObserver(look).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributes: true });
  look();
})()`;

describe.skipIf(skip !== undefined)(`the System page through a standby replica ${skip ?? ''}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-web-system-replicas-'));
  });
  afterAll(async () => {
    await b?.close();
    await Promise.all(replicas.map(stopReplica));
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the standby that answered and the active replica, then shows the takeover after kill -9 without a reload', async () => {
    db = await createTestDatabase();
    await writeProject(dir, 0.1, 0.1);
    for (const name of ['A', 'B']) replicas.push(await startReplica(dir, name, db.url, LEASE_MS));
    const active = await activeReplica(replicas);
    const standby = replicas.find((r) => r !== active)!;

    b = await launch();
    const { page } = b;
    await openSignedIn(page, standby.url, ADMIN, '/system');
    await page.locator(`[data-testid="system-replica"][data-role="standby"][data-id="${standby.name}"]`).waitFor();
    await page.locator(`[data-testid="system-active"][data-id="${active.name}"]`).waitFor();
    expect(await page.getByTestId('system-store').textContent()).toBe('postgres');
    expect(await page.getByTestId('system-lease-ms').textContent()).toBe(`${LEASE_MS} ms`);
    expect(await page.getByTestId('system-replica').textContent()).toContain(standby.url);
    const shown = (await page.getByTestId('system-active').textContent())!;
    expect(shown).toContain(active.url);
    expect(shown).toMatch(/Epoch\d+/);
    expect(shown).toMatch(/expires in \d+s/);
    // /readyz through the standby is the active replica's answer.
    await page.locator('[data-testid="system-ready"][data-ready="yes"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'system-standby.png'), fullPage: true });

    await page.evaluate("window.marker = 'same page'");
    await page.evaluate(RECORD);
    active.child.proc.kill('SIGKILL');

    // The takeover: the standby answers as the active replica, and is ready.
    await page.locator(`[data-testid="system-replica"][data-role="active"][data-id="${standby.name}"]`).waitFor({ timeout: 60_000 });
    await page.locator(`[data-testid="system-active"][data-id="${standby.name}"]`).waitFor();
    await page.locator('[data-testid="system-ready"][data-ready="yes"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.marker')).toBe('same page');
    await page.screenshot({ path: join(SHOTS, 'system-takeover.png'), fullPage: true });

    const seen = (await page.evaluate('window.seen')) as { ready: string[]; noActive: string[]; roles: string[] };
    // Between the kill and the takeover: the standby's 503 in its own words.
    const refused = seen.ready.filter((l) => l.startsWith('no: '));
    expect(refused.length, JSON.stringify(seen, null, 1)).toBeGreaterThan(0);
    for (const l of refused) expect(l).toMatch(new RegExp(`^no: not ready no active replica to answer \\(this is standby '${standby.name}'\\): .+ \\(NO_ACTIVE_REPLICA\\)$`));
    expect(refused.some((l) => l.includes(`'${active.name}'`))).toBe(true);
    for (const n of seen.noActive) expect(n).toContain('No replica is active');
    expect(seen.roles[0]).toBe(`${standby.name} standby`);
    expect(seen.roles.at(-1)).toBe(`${standby.name} active`);
  });
});
