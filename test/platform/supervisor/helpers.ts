/** Real processes and real HTTP for the supervisor tests, and cleanup of everything they start. */
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet, type Agent, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { loadManifest } from '../../../src/platform/manifest/index.js';
import { Supervisor, type InstanceSpec, type SupervisorEventMap, type SupervisorOptions } from '../../../src/platform/supervisor/index.js';

export const demoAppDir = fileURLToPath(new URL('../../../examples/demo-app/', import.meta.url));
export const versionDir = (version: string): string => join(demoAppDir, 'versions', version);

/** Instance ids of this test file share a prefix, so cleanup finds every process they started. */
const prefix = `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
export const instanceId = (name: string): string => `${prefix}/${name}`;

const supervisors: Supervisor[] = [];
const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-supervisor-'));
  dirs.push(dir);
  return dir;
}

export function supervisor(opts: Partial<SupervisorOptions> = {}): Supervisor {
  const sup = new Supervisor({ dataDir: opts.dataDir ?? tempDir(), killGraceMs: 2000, ...opts });
  supervisors.push(sup);
  return sup;
}

export async function demoSpec(name: string, version: string, extra: Partial<InstanceSpec> = {}): Promise<InstanceSpec> {
  const dir = versionDir(version);
  return { id: instanceId(name), dir, manifest: await loadManifest(dir), ...extra };
}

afterEach(async () => {
  for (const sup of supervisors.splice(0)) await sup.stopAll().catch(() => undefined);
  for (const pgid of groupsWithPrefix()) signal(-pgid, 'SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Process groups holding a process whose SLIPWAY_INSTANCE_ID is `id` (or starts with this file's prefix). */
export function groupsOf(id?: string): number[] {
  const groups = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      const hit = id ? env.includes(`SLIPWAY_INSTANCE_ID=${id}`) : env.some((v) => v.startsWith(`SLIPWAY_INSTANCE_ID=${prefix}/`));
      if (!hit) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') groups.add(Number(pgrp));
    } catch {
      // ended while we looked
    }
  }
  return [...groups];
}
const groupsWithPrefix = (): number[] => groupsOf();

/** SIGKILL the whole group, as a crash would, and wait until none of it runs. */
export async function crash(pgid: number): Promise<void> {
  signal(-pgid, 'SIGKILL');
  await waitUntil(() => !groupsOf().includes(pgid), 10_000, `process group ${pgid} to die`);
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next event of this kind for which `match` holds; start waiting before the action that causes it. */
export function nextEvent<K extends keyof SupervisorEventMap>(
  sup: Supervisor,
  event: K,
  match: (...args: SupervisorEventMap[K]) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<SupervisorEventMap[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sup.off(event, listener as never);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: SupervisorEventMap[K]): void => {
      if (!match(...args)) return;
      clearTimeout(timer);
      sup.off(event, listener as never);
      resolve(args[0]);
    };
    sup.on(event, listener as never);
  });
}

export interface Answer {
  status: number;
  body: { version?: string; pid?: number; slot?: string | null; error?: string };
}

export async function getJson(url: string, agent?: Agent): Promise<Answer> {
  const req = httpGet(url, agent ? { agent } : {});
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] };
}

/** Whether something accepts connections on the port. */
export async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
