/**
 * The browser side of the web bench: Debian's chromium through playwright-core (headless, a
 * fresh profile, the flags the browser tests use). Times are taken inside the page, so the
 * driver's round trips do not count: a MutationObserver installed before the app's own
 * scripts notes when a selector first matches, and the animation frame that paints it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the web figures cannot be measured here, or undefined. */
export function webSkipReason(webRoot: string): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(join(webRoot, 'index.html'))) return `the dashboard is not built (${webRoot}/index.html is missing; run npm run build)`;
  return undefined;
}

export interface WebBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

// Runs in every document before its scripts: `window.__readyAt[key]` is performance.now() (ms
// since the navigation began) at the frame after the selector named `key` first matched.
const readyWatch = (selectors: Record<string, string>): string => `(() => {
  const todo = new Map(Object.entries(${JSON.stringify(selectors)}));
  const at = (window.__readyAt = {});
  const check = () => {
    for (const [key, sel] of todo) if (document.querySelector(sel)) {
      todo.delete(key);
      requestAnimationFrame(() => { at[key] = performance.now(); });
    }
    if (todo.size === 0) mo.disconnect();
  };
  const mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true, attributes: true });
})()`;

/** `selectors`: what marks each page ready, by a key `timedLoad` names. */
export async function launchBrowser(selectors: Record<string, string>): Promise<WebBrowser> {
  // Loaded here, not with the bench: playwright-core takes about 0.4 s to load, which only the web part needs.
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'slipway-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  await context.addInitScript({ content: readyWatch(selectors) });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Opens `url` and returns the ms from the start of that navigation until the `key` selector was painted. */
export async function timedLoad(page: Page, url: string, key: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  const probe = `window.__readyAt[${JSON.stringify(key)}] !== undefined`;
  await page.waitForFunction(probe, undefined, { timeout: 60_000 });
  return (await page.evaluate(`window.__readyAt[${JSON.stringify(key)}]`)) as number;
}

/**
 * Watches the cells of one stage row: the first time a cell shows a release `succeeded`,
 * `window.__seen[release]` gets Date.now() at the frame that paints it (wall clock, so the
 * bench process can compare it with the time the engine committed).
 */
export async function watchRow(page: Page, stage: string): Promise<void> {
  await page.evaluate(`(() => {
    const sel = 'td.cell[data-stage=${JSON.stringify(stage)}][data-state="succeeded"]';
    const seen = (window.__seen = {});
    for (const td of document.querySelectorAll(sel)) seen[td.dataset.release] = 0;
    const mo = new MutationObserver(() => {
      const fresh = [];
      for (const td of document.querySelectorAll(sel)) if (!(td.dataset.release in seen)) { seen[td.dataset.release] = -1; fresh.push(td.dataset.release); }
      if (fresh.length) requestAnimationFrame(() => { const t = Date.now(); for (const r of fresh) seen[r] = t; });
    });
    mo.observe(document.querySelector('table.matrix').parentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-release', 'data-state'] });
  })()`);
}

/** Date.now() in the page when `release` was painted in the watched row. */
export async function seenAt(page: Page, release: string, timeoutMs: number): Promise<number> {
  const probe = `(window.__seen[${JSON.stringify(release)}] ?? -1) > 0`;
  await page.waitForFunction(probe, undefined, { timeout: timeoutMs });
  return (await page.evaluate(`window.__seen[${JSON.stringify(release)}]`)) as number;
}
