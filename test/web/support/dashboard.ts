/**
 * One dashboard test file's world: a temp dir holding slipway.yaml, a real `slipway server`
 * on it (its own data dir; the store this run uses), and Chromium with a fresh profile.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../../e2e/support/server-process.js';
import { launch, type Browser } from './browser.js';

export interface Dashboard {
  dir: string;
  server: ServerProcess;
  /** The server's URL. */
  base: string;
  b: Browser;
}

/** Starts it all; `pipeline` is the slipway.yaml text, or made from the dir. A failure stops what did start. */
export async function openDashboard(name: string, pipeline: string | ((dir: string) => string), admin: string): Promise<Dashboard> {
  const d: Partial<Dashboard> = { dir: await mkdtemp(join(tmpdir(), `slipway-web-${name}-`)) };
  try {
    const dir = d.dir!;
    await writeFile(join(dir, 'slipway.yaml'), typeof pipeline === 'string' ? pipeline : pipeline(dir));
    d.server = await startServerProcess(['--data', join(dir, 'data'), join(dir, 'slipway.yaml')], dir, { SLIPWAY_ADMIN_TOKEN: admin });
    d.b = await launch();
    return { dir, server: d.server, base: d.server.url, b: d.b };
  } catch (e) {
    await closeDashboard(d);
    throw e;
  }
}

/** Stops the browser and the server and removes the dir (whatever of them there is). */
export async function closeDashboard(d: Partial<Dashboard>): Promise<void> {
  await d.b?.close();
  await d.server?.stop();
  if (d.dir) await rm(d.dir, { recursive: true, force: true });
}
