/**
 * The embedded store under pressure (issue 13, item 5), with a real server process:
 * - locked: another connection holds `BEGIN EXCLUSIVE` on slipway.db. A new release is
 *   answered 503 STORE naming the file and that it is locked (not a hang); reads go on; a
 *   shell task that ends meanwhile has its outcome recorded once the lock goes, without a
 *   restart; afterwards everything completes, each effect once, and integrity_check is ok.
 * - full: the data directory is a 4 MB tmpfs, filled by a file. A new release is answered
 *   507 STORE_FULL naming the data directory ("disk full"); with the filler gone, new
 *   releases work and every release the server accepted completes; integrity_check is ok.
 *   Mounting needs root: where it is not allowed, the test is skipped and says why.
 * test-store: sqlite-only (these faults are the SQLite file's own: a lock on slipway.db and a
 * full data directory; PostgreSQL's faults are the fault harness's, issue 13 item 5)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';

const ADMIN = 'slw_faults-store-admin-0123456789abcdef';
let dir = "";
let server: ServerProcess | undefined;
const mounts: string[] = [];

afterEach(async () => {
  if (server) expect(await server.stop()).toBe(0);
  server = undefined;
});
afterAll(async () => {
  for (const m of mounts) spawnSync('umount', [m]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pipeline = (tasks: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: press}
spec:
  services: [api]
  stages:
    - name: dev
      tasks:
        - ${tasks.replace('STAGE', 'dev')}
    - name: prod
      tasks:
        - ${tasks.replace('STAGE', 'prod')}
`;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const release = (artifact: string) => call('POST', '/api/v1/projects/press/releases', { artifacts: { api: artifact } });

/** Polls (with a deadline) until `check` answers a value. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${server?.stderr().slice(-3000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const succeededInProd = async (releaseId: string) => {
  const r = await call('GET', `/api/v1/runs?release=${releaseId}&stage=prod&state=succeeded`);
  return r.status === 200 && (r.body['runs'] as unknown[]).length === 1 ? true : undefined;
};

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

dir = await mkdtemp(join(tmpdir(), 'slipway-press-'));

describe('a database another process holds locked', () => {
  it('answers 503 naming the locked file, keeps reads going, and records what finished meanwhile once the lock goes', async () => {
    const ledger = join(dir, 'locked-ledger');
    const task = `{name: work, kind: shell, properties: {run: 'sleep 1; echo "$SLIPWAY_TASK_ID" >> ${ledger}'}}`;
    await writeFile(join(dir, 'locked.yaml'), pipeline(task));
    server = await startServerProcess(['locked.yaml', '--data', 'locked-data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    const first = await release('api:1');
    expect(first.status).toBe(201);
    const runId = first.body['runId'] as string;
    await until('the dev task to start', async () => {
      const r = await call('GET', `/api/v1/runs/${runId}`);
      return (r.body['tasks'] as { state: string }[] | undefined)?.some((t) => t.state === 'started') ? true : undefined;
    });

    const locker = new Database(join(dir, 'locked-data', 'slipway.db'), { timeout: 0 });
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const refused = await release('api:2');
      expect(refused.status).toBe(503);
      expect(refused.body['code']).toBe('STORE');
      expect(refused.body['message']).toMatch(/the SQLite store .*locked-data\/slipway\.db is locked by another process/);
      expect((await call('GET', '/api/v1/runs?project=press')).status).toBe(200);
      // The dev task ends while the store is locked: its outcome cannot be written yet.
      await until('the dev task effect', async () => ((await readFile(ledger, 'utf8').catch(() => '')).includes(`${runId}.work.1`) ? true : undefined));
      await until('a failed try to record it', async () => (/could not record a task report: the store failed/.test(server!.stderr()) ? true : undefined));
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }

    await until('release 1 in prod', () => succeededInProd(first.body['releaseId'] as string));
    const second = await release('api:2');
    expect(second.status).toBe(201);
    await until('release 2 in prod', () => succeededInProd(second.body['releaseId'] as string));
    expect(await server.stop()).toBe(0);
    server = undefined;

    const lines = (await readFile(ledger, 'utf8')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    expect(new Set(lines).size).toBe(4);
    expect(integrity(join(dir, 'locked-data', 'slipway.db'))).toBe('ok');
  }, 120_000);
});

/** Mounts a 4 MB tmpfs, or answers why it cannot. */
function tmpfs(at: string): string | undefined {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', at], { encoding: 'utf8' });
  if (r.error) return `mount could not run: ${r.error.message}`;
  if (r.status !== 0) return `mount -t tmpfs failed (${r.status}): ${r.stderr.trim()}`;
  mounts.push(at);
  return undefined;
}

const small = join(dir, 'small');
await mkdir(small, { recursive: true });
const cannotMount = tmpfs(small);
if (cannotMount) console.log(`[faults-store] the full-disk case is skipped: ${cannotMount}`);

describe.skipIf(cannotMount !== undefined)('a full disk under the data directory', () => {
  it('answers 507 STORE_FULL naming the data directory, and works again once there is room', async () => {
    await writeFile(join(dir, 'full.yaml'), pipeline('{name: work, kind: noop}'));
    const data = join(small, 'data');
    server = await startServerProcess(['full.yaml', '--data', data], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    const before = await release('api:1');
    expect(before.status).toBe(201);
    await until('release 1 in prod', () => succeededInProd(before.body['releaseId'] as string));

    const filler = join(small, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }

    // Commits may still fit in pages the store already has; the disk shows once it must grow.
    const accepted: string[] = [];
    const full = await until('a release refused for a full disk', async () => {
      const r = await release(`api:full-${accepted.length}`);
      if (r.status === 201) accepted.push(r.body['releaseId'] as string);
      else return r;
      return undefined;
    });
    expect(full.status, JSON.stringify(full.body)).toBe(507);
    expect(full.body['code']).toBe('STORE_FULL');
    expect(full.body['message']).toMatch(new RegExp(`disk full: .* data directory ${data} is full`));
    expect((await call('GET', '/api/v1/runs?project=press')).status).toBe(200);

    await rm(filler);
    const after = await release('api:2');
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    for (const id of [...accepted, after.body['releaseId'] as string]) await until(`release ${id} in prod`, () => succeededInProd(id));
    console.log(`[faults-store] full disk: ${accepted.length} releases fitted after filling, then 507; all ${accepted.length + 2} accepted releases completed`);
    expect(await server.stop()).toBe(0);
    server = undefined;
    expect(integrity(join(data, 'slipway.db'))).toBe('ok');
  }, 120_000);
});
