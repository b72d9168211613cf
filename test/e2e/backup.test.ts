/**
 * Backup and restore through the real CLI and server: a release waits on an approval in its
 * second stage while other releases keep the server writing; `slipway backup` takes a copy
 * over the API; `slipway restore` puts it into a fresh data directory (refusing a running
 * server's directory and an existing store); a server started there takes the approval and
 * the release goes on to production.
 * test-store: sqlite-only (a PostgreSQL server answers a backup 501 and points to pg_dump;
 * PostgreSQL backup and restore is issue 13 item 7)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-backup-0123456789';

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web, api]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "$SLIPWAY_ARTIFACT_WEB$SLIPWAY_ARTIFACT_API" >> deployed.txt'}}
    - name: staging
      tasks:
        - {name: approve, kind: approval, properties: {pass: manual}}
    - name: production
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "prod $SLIPWAY_ARTIFACT_WEB" >> prod.txt'}}
`;

let dir: string;
const servers: ServerProcess[] = [];
const t0 = Date.now();
const step = (what: string) => console.log(`[backup e2e] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-backup-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(data: string, files: string[] = ['slipway.yaml']): Promise<ServerProcess> {
  const s = await startServerProcess([...files, '--data', data], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
  servers.push(s);
  return s;
}

async function api<T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface RunRow {
  id: string;
  stage: string;
  state: string;
  releaseId: string;
}

/** Polls (with a deadline) until the release's run in `stage` is in `state`. */
async function runIn(server: ServerProcess, releaseId: string, stage: string, state: string, timeoutMs = 20_000): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { runs } = await api<{ runs: RunRow[] }>(server, 'GET', `/api/v1/runs?release=${releaseId}&stage=${stage}`);
    const run = runs.find((r) => r.state === state);
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`release ${releaseId} has no ${state} run in ${stage} after ${timeoutMs} ms: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cli(args: string[], server?: ServerProcess) {
  const child = slipway(args, dir, { SLIPWAY_CONFIG: join(dir, 'no-config.json'), ...(server ? { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN } : {}) });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const integrity = (file: string): string => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join(';');
  } finally {
    db.close();
  }
};

describe('backup and restore', () => {
  it('a release waiting on an approval, backed up while the server writes, continues from the restored copy', async () => {
    const a = await start('data-a');
    const { releaseId } = await api<{ releaseId: string }>(a, 'POST', '/api/v1/projects/shop/releases', { artifacts: { web: 'web:1' } });
    await runIn(a, releaseId, 'staging', 'waiting');
    step('release waits in staging');

    // Keep the server writing while the backup is taken: releases of the other service go through dev.
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        await api(a, 'POST', '/api/v1/projects/shop/releases', { artifacts: { api: `api:${++n}` } });
        await new Promise((r) => setTimeout(r, 20));
      }
      return n;
    })();
    const backup = join(dir, 'shop.backup');
    const b = await cli(['backup', backup, '--json'], a);
    writing = false;
    const written = await writer;
    step(`backup taken while ${written} releases were made`);
    expect(b.code, b.stderr).toBe(0);
    expect(written).toBeGreaterThan(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ file: backup });
    expect(integrity(backup)).toBe('ok');
    // The copy the server made for the answer is gone.
    expect((await import('node:fs')).readdirSync(join(dir, 'data-a')).filter((f) => f.startsWith('backup-'))).toEqual([]);

    // Restore refuses the running server's directory, and leaves it as it was.
    const busy = await cli(['restore', backup, '--data', 'data-a']);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/cannot restore into .*data-a: the data directory .* is in use by pid \d+/);

    const r = await cli(['restore', backup, '--data', 'data-b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored');
    const again = await cli(['restore', backup, '--data', 'data-b']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('a store exists already');
    expect((await cli(['restore', backup, '--data', 'data-b', '--force'])).code).toBe(0);

    // A fresh server on the restored copy, loading the pipeline from the store alone.
    step('restored');
    const bServer = await start('data-b', []);
    step('restored server up');
    const waiting = await runIn(bServer, releaseId, 'staging', 'waiting');
    await api(bServer, 'POST', `/api/v1/releases/${releaseId}/approvals`, { stage: 'staging', decision: 'approve' });
    await runIn(bServer, releaseId, 'staging', 'succeeded');
    const prod = await runIn(bServer, releaseId, 'production', 'succeeded');
    expect(prod.releaseId).toBe(releaseId);
    expect(waiting.id).not.toBe(prod.id);
    expect((await readFile(join(dir, 'prod.txt'), 'utf8')).trim().split('\n')).toEqual(['prod web:1']);
    // The original server still waits: the two stores are separate.
    await runIn(a, releaseId, 'staging', 'waiting', 1000);
  }, 240_000);

  it('backup needs an admin token, and restore refuses a file that is no Slipway store', async () => {
    const a = servers[0]!;
    const res = await fetch(`${a.url}/api/v1/system/backup`, { method: 'POST' });
    expect(res.status).toBe(401);
    await writeFile(join(dir, 'not-a-store'), 'hello');
    const r = await cli(['restore', 'not-a-store', '--data', 'data-c']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-a-store is not a usable Slipway backup/);
    expect(existsSync(join(dir, 'data-c', 'slipway.db'))).toBe(false);
  });

  it('backs up a stopped server\u2019s data directory offline, and refuses a running one', async () => {
    const a = servers[0]!;
    const busy = await cli(['backup', 'offline.backup', '--data', 'data-a']);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain('back up through it');
    const bServer = servers[1]!;
    expect(await bServer.stop()).toBe(0);
    const ok = await cli(['backup', 'offline.backup', '--data', 'data-b']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(integrity(join(dir, 'offline.backup'))).toBe('ok');
    void a;
  });
});
