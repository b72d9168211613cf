/**
 * The audit log through a real `slipway server` and the real CLI: tokens made, a secret set
 * and deleted, a release triggered by one token and approved by another with a comment,
 * the project replaced. Every row names who (the token's name) and no row holds the secret
 * or a token. `slipway audit verify` passes; after a row is edited in the SQLite file it
 * names that row and what differs; after a row is deleted (its trigger dropped first) it
 * names the row after the gap.
 * test-store: sqlite-only (the tamper cases edit slipway.db and drop its triggers, and the
 * first case reads the file; PostgreSQL's append-only audit is the store contract's)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { BIN, slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-audit-0123456789abc';
const CANARY = 'canary-audit-5e1f0c9a77';

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
    - name: production
      tasks:
        - {name: sign-off, kind: approval}
        - {name: deploy, kind: noop}
`;

interface Entry {
  seq: number;
  actor: string;
  action: string;
  project: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

let dir: string;
let server: ServerProcess;
const tokens: Record<string, string> = {};

async function cli(args: string[], token = ADMIN, stdin?: string) {
  if (stdin === undefined) {
    const child = slipway(args, dir, env(token));
    const { code } = await child.exited;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env(token) }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  proc.stdin.end(`${stdin}\n`);
  const code = await new Promise<number | null>((r) => proc.on('close', r));
  return { code, stdout, stderr };
}
const env = (token: string) => ({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: join(dir, 'no-config.json') });

async function api<T>(method: string, path: string, token: string, body?: unknown, type = 'application/json'): Promise<T> {
  const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await r.text();
  expect(r.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function makeToken(name: string, scopes: string[]): Promise<void> {
  const r = await cli(['token', 'create', name, ...scopes.flatMap((s) => ['--scope', s]), '--json']);
  expect(r.code, r.stderr).toBe(0);
  tokens[name] = (JSON.parse(r.stdout) as { token: string }).token;
}

/** Polls (deadline 20 s) until the production approval of the release waits; its task id. */
async function approvalTask(releaseId: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { approvals } = await api<{ approvals: { taskId: string; stage: string; releaseId: string }[] }>('GET', '/api/v1/approvals', ADMIN);
    const a = approvals.find((x) => x.releaseId === releaseId && x.stage === 'production');
    if (a) return a.taskId;
    if (Date.now() > deadline) throw new Error(`no production approval for ${releaseId}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Edits the data directory's SQLite file directly, as someone with the disk could. */
function tamper(sql: string[]): void {
  const db = new Database(join(dir, 'data', 'slipway.db'));
  try {
    for (const s of sql) db.exec(s);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-audit-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the audit log', () => {
  let entries: Entry[] = [];

  it('records who did what, through the API and the CLI, and never a secret', async () => {
    await makeToken('ci', ['trigger']);
    await makeToken('qa', ['approve:production']);
    await makeToken('auditor', ['audit']);
    const set = await cli(['secret', 'set', 'DEPLOY_KEY'], ADMIN, CANARY);
    expect(set.code, set.stderr).toBe(0);

    const t = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:1', '--commit', 'abc123', '--json'], tokens['ci']!);
    expect(t.code, t.stderr).toBe(0);
    const { releaseId } = JSON.parse(t.stdout) as { releaseId: string };
    const task = await approvalTask(releaseId);
    await api('POST', `/api/v1/tasks/${task}/approve`, tokens['qa']!, { comment: 'looks good' });
    await api('PUT', '/api/v1/projects/shop', ADMIN, yaml.replace('kind: noop}\n    - name: production', 'kind: noop, timeout: 5m}\n    - name: production'), 'text/yaml');
    const del = await cli(['secret', 'delete', 'DEPLOY_KEY']);
    expect(del.code, del.stderr).toBe(0);
    const { tokens: list } = await api<{ tokens: { id: string; name: string }[] }>('GET', '/api/v1/tokens', ADMIN);
    await api('DELETE', `/api/v1/tokens/${list.find((x) => x.name === 'ci')!.id}`, ADMIN);

    const listed = await cli(['audit', 'list', '--limit', '100', '--json'], tokens['auditor']!);
    expect(listed.code, listed.stderr).toBe(0);
    entries = (JSON.parse(listed.stdout) as { entries: Entry[] }).entries.reverse();
    const rows = entries.map((e) => [e.action, e.actor, e.target]);
    expect(rows).toEqual([
      ['project.load', 'server', expect.any(String)],
      ['token.create', 'token:admin-env', 'ci'],
      ['token.create', 'token:admin-env', 'qa'],
      ['token.create', 'token:admin-env', 'auditor'],
      ['secret.set', 'token:admin-env', 'DEPLOY_KEY'],
      ['release.trigger', 'token:ci', releaseId],
      ['task.approve', 'token:qa', task],
      ['project.load', 'token:admin-env', expect.any(String)],
      ['secret.delete', 'token:admin-env', 'DEPLOY_KEY'],
      ['token.revoke', 'token:admin-env', 'ci'],
    ]);
    expect(entries[5]!.details).toMatchObject({ artifacts: { web: 'web:1' }, commit: 'abc123' });
    expect(entries[6]!.details).toEqual({ stage: 'production', comment: 'looks good' });
    expect(entries[7]!.details).toMatchObject({ changed: true, origin: 'api:shop' });

    const filtered = await cli(['audit', 'list', '--actor', 'token:qa'], tokens['auditor']!);
    expect(filtered.stdout).toContain('task.approve');
    expect(filtered.stdout).not.toContain('release.trigger');
    const search = await cli(['audit', 'list', '--search', 'deploy_key', '--json'], tokens['auditor']!);
    expect((JSON.parse(search.stdout) as { entries: Entry[] }).entries.map((e) => e.action)).toEqual(['secret.delete', 'secret.set']);

    const exported = await cli(['audit', 'export', '--since', '1h'], tokens['auditor']!);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Entry);
    expect(lines.map((l) => l.seq)).toEqual(entries.map((e) => e.seq));
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.prevHash).toBe(lines[i - 1]!.hash);

    // Neither the secret nor any token value appears in the audit answers or the table.
    for (const text of [listed.stdout, exported.stdout, search.stdout]) {
      expect(text).not.toContain(CANARY);
      for (const v of Object.values(tokens)) expect(text).not.toContain(v);
    }
    const rowsText = (() => {
      const d = new Database(join(dir, 'data', 'slipway.db'), { readonly: true });
      try {
        return JSON.stringify(d.prepare('select * from audit').all());
      } finally {
        d.close();
      }
    })();
    expect(rowsText).not.toContain(CANARY);
    expect(rowsText).toContain('DEPLOY_KEY');
  });

  it('verifies the real history', async () => {
    const r = await cli(['audit', 'verify'], tokens['auditor']!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok: ${entries.length} rows, chain intact; head seq ${entries.length}, hash [0-9a-f]{64}`));
  });

  it('names the row edited in the SQLite file and what differs, and exits 1', async () => {
    const approve = entries.find((e) => e.action === 'task.approve')!;
    const original = JSON.stringify(approve.details);
    tamper(['drop trigger audit_append_only_update', `update audit set details = '{"comment":"never said","stage":"production"}' where seq = ${approve.seq}`]);
    const r = await cli(['audit', 'verify'], tokens['auditor']!);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`broken at row ${approve.seq} (seq ${approve.seq}): row ${approve.seq} (seq ${approve.seq}) was edited: details is {"comment":"never said","stage":"production"} but was sealed as {"comment":"looks good","stage":"production"}`);
    expect(r.stdout).toContain(`the ${approve.seq - 1} rows before it verify`);
    const json = await cli(['audit', 'verify', '--json'], ADMIN);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, broken: { seq: approve.seq, problem: 'content', differences: [{ field: 'details' }] } });
    // Put it back: the chain verifies again.
    tamper([`update audit set details = '${original}' where seq = ${approve.seq}`]);
    expect((await cli(['audit', 'verify'], ADMIN)).code).toBe(0);
  });

  it('names the row after a deleted one, once its trigger is dropped', async () => {
    const db = new Database(join(dir, 'data', 'slipway.db'));
    try {
      expect(() => db.prepare('delete from audit where seq = 3').run()).toThrow(/append-only: delete refused/);
    } finally {
      db.close();
    }
    tamper(['drop trigger audit_append_only_delete', 'delete from audit where seq = 3']);
    const r = await cli(['audit', 'verify'], tokens['auditor']!);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('broken at row 3 (seq 4): row 3 has seq 4 after seq 2: rows 3–3 are missing (deleted)');
  });
});
