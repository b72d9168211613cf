/**
 * `slipway server` on PostgreSQL, as a real process: a release goes dev → production while
 * the server is killed (SIGKILL) in the middle of a dev task and started again on the same
 * database (this time from SLIPWAY_STORE); the run continues, each shell task's effect
 * happens once, and everything lives in PostgreSQL (no SQLite file in the data directory).
 * A server that cannot reach its database says where and what to do, without the password.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-postgres-server-0123456';

interface RunRow {
  id: string;
  stage: string;
  state: string;
}

let dir: string;
let db: TestDatabase;
let server: ServerProcess | undefined;

async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const r = await fetch(`${server!.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${ADMIN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server stderr:\n${server?.stderr() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hasEvent = async (type: string) => {
  const { events } = await api<{ events: unknown[] }>(`/api/v1/events?project=shop&type=${type}&limit=10`);
  return events.length > 0 ? true : undefined;
};

describe.skipIf(pgSkipReason() !== undefined)(`slipway server --store postgres:// ${pgSkipNote()}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-pg-'));
    db = await createTestDatabase();
    const ledger = join(dir, 'ledger.txt');
    await writeFile(
      join(dir, 'slipway.yaml'),
      `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - {name: first, kind: shell, properties: {run: "echo dev-first >> ${ledger}"}}
        - {name: slow, kind: shell, properties: {run: "sleep 2; echo dev-slow >> ${ledger}"}}
    - name: production
      tasks:
        - {name: deploy, kind: shell, properties: {run: "echo production-deploy >> ${ledger}"}}
`,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a release goes dev → production across a kill -9 and a restart, each task effect once, all of it in PostgreSQL', async () => {
    server = await startServerProcess(['slipway.yaml', '--data', 'data', '--store', db.url], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    expect(server.stderr()).toMatch(/store: PostgreSQL at 127\.0\.0\.1:\d+ \(database 'slipway_t_\w+', user 'postgres'\), pool of 10 connections/);
    const { releaseId } = await api<{ releaseId: string; runId: string }>('/api/v1/projects/shop/releases', { method: 'POST', body: { artifacts: { web: 'web:1' } } });
    await until('the slow dev task to start', () => hasEvent('sh.slipway.task.slow.started'));
    server.proc.kill('SIGKILL');
    await server.stop();

    // Again on the same database, named this time by SLIPWAY_STORE.
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_STORE: db.url, SLIPWAY_PG_POOL: '4' });
    expect(server.stderr()).toContain('pool of 4 connections');
    const runs = await until('the production run to succeed', async () => {
      const { runs } = await api<{ runs: RunRow[] }>(`/api/v1/runs?project=shop&release=${releaseId}`);
      return runs.some((r) => r.stage === 'production' && r.state === 'succeeded') ? runs : undefined;
    });
    expect(runs.map((r) => [r.stage, r.state]).sort()).toEqual([
      ['dev', 'succeeded'],
      ['production', 'succeeded'],
    ]);
    const ledger = (await readFile(join(dir, 'ledger.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(ledger.sort()).toEqual(['dev-first', 'dev-slow', 'production-deploy']);

    // The events are rows in PostgreSQL; the slow task was triggered once (same task id after the restart).
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ type: string; n: string }>(`select type, count(*) as n from events where project = 'shop' group by type`);
      const count = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
      expect(count['sh.slipway.task.slow.triggered']).toBe(1);
      expect(count['sh.slipway.task.slow.finished']).toBe(1);
      expect(count['sh.slipway.task.deploy.finished']).toBe(1);
    } finally {
      await client.end();
    }
    expect(existsSync(join(dir, 'data', 'slipway.db'))).toBe(false);
    expect(await server.stop()).toBe(0);
    server = undefined;
  }, 120_000);
});

describe('slipway server --store postgres:// without a database there', () => {
  it('exits with a message naming host:port and the fix, not the password', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'slipway-e2e-pg-down-'));
    try {
      // Port 1 on 127.0.0.1: nothing listens there (and it is not ours to bind).
      const child = slipway(['server', '--port', '0', '--data', 'data', '--store', 'postgres://slipway:hunter2-pw@127.0.0.1:1/slipway'], cwd);
      const { code } = await child.exited;
      expect(code).not.toBe(0);
      expect(child.stderr()).toMatch(/cannot connect to the PostgreSQL store at 127\.0\.0\.1:1 \(database 'slipway', user 'slipway'\).*check that PostgreSQL runs there/);
      expect(child.stderr() + child.stdout()).not.toContain('hunter2-pw');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }, 30_000);
});
