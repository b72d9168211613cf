/**
 * The dashboard's browser tests: Debian's chromium driven by playwright-core (a fresh
 * profile per file), against a real `slipway server` on 127.0.0.1. Skipped, saying why,
 * where chromium or the built dashboard is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Screenshots the tests take, kept as test output. */
export const SHOTS = join(ROOT, 'dist', 'test-output', 'web');

export function browserSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `(skipped: ${CHROMIUM} is missing; .ci/run installs Debian's chromium, or: apt-get install chromium)`;
  if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) return '(skipped: the dashboard is not built; run npm run build)';
  if (!existsSync(join(ROOT, 'dist', 'cli'))) return '(skipped: the server is not built; run npm run build)';
  return undefined;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'slipway-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  await mkdir(SHOTS, { recursive: true });
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Puts a token in the tab's session storage, as the sign-in page does, and opens `path`. */
export async function openSignedIn(page: Page, base: string, token: string, path = '/'): Promise<void> {
  await page.goto(`${base}/signin`);
  await page.evaluate(`sessionStorage.setItem('slipway.token', ${JSON.stringify(token)})`);
  await page.goto(`${base}${path}`);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now, as readable lines. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  // A string runs in the page (the tests compile without the DOM library).
  const found = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) })))`)) as {
    id: string;
    impact: string | null;
    help: string;
    targets: string[];
  }[];
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.targets.join(' ')}`);
}

/** Makes a token through the API (as an admin would) and returns it. */
export async function createToken(base: string, admin: string, name: string, scopes: string[]): Promise<string> {
  const res = await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, scopes }) });
  if (res.status !== 201) throw new Error(`creating token ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function call<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Polls `fn` every 100 ms until it gives a value; past the deadline, fails naming what it waited for. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
