/**
 * Expand → deploy → soak → contract on a real SQLite database, with the migrations demo app
 * (1.0.0 writes items(name), 2.0.0 writes items(title)) on the local platform under a
 * continuous request loop, driven through a real `slipway server` by the real CLI. Then a
 * server killed with SIGKILL while a migration command runs does not run it twice.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { requestLoop } from './support/request-loop.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const VERSIONS = fileURLToPath(new URL('../../examples/migrations-demo/versions/', import.meta.url));
const ADMIN = 'slw_e2e-admin-token-0123456789abcdef';

let dir: string;
let db: string;
let server: ServerProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-migrations-'));
  db = join(dir, 'shop.db');
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(yaml: string): Promise<void> {
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  // DEMO_DB reaches the app's processes through the server's environment.
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN, DEMO_DB: db });
}

async function cli(args: string[]) {
  if (process.env['MIGRATIONS_E2E_DEBUG']) console.error(new Date().toISOString(), args.join(' '));
  const child = slipway(args, dir, { SLIPWAY_SERVER: server!.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server!.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return (await res.json()) as T;
}

const agent = new Agent({ keepAlive: true, maxSockets: 2 });
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    // A request stuck in a migration is a failure seen, not a test that hangs.
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.end();
  });
}

/** A client loop: one request after another until stopped. */
const load = (url: string) => requestLoop(() => get(url), 10);

const columns = (): string[] => {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((c) => c.name);
  } finally {
    d.close();
  }
};
const ledger = (): { id: string; phase: string }[] => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT id, phase FROM slipway_schema_migrations ORDER BY rowid').all() as { id: string; phase: string }[];
  } finally {
    d.close();
  }
};

const pipeline = (expand: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
      tasks:
        - {name: expand, kind: migrate, properties: ${expand}}
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
        - {name: soak, kind: wait, properties: {duration: 1s}}
`;

const releaseOf = (out: string): string => /(rel-[0-9a-f]+)/.exec(out)?.[1] ?? '';

describe('expand/contract on a real database under load', () => {
  it('expand → deploy → soak → contract with no failed request; a rollback before the contract works, one past it is refused', async () => {
    await start(pipeline(`{phase: expand, database: shop.db, autoContract: false}`));
    const v1 = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', join(VERSIONS, '1.0.0'), '--wait']);
    expect(v1.code, v1.stderr + v1.stdout).toBe(0);
    const r1 = releaseOf(v1.stdout + v1.stderr);
    const status = await api<{ stages: { services: { endpoint: string | null }[] }[] }>('/api/v1/projects/shop/status');
    const endpoint = status.stages[0]!.services[0]!.endpoint!;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const traffic = load(endpoint);

    // Expand (add title, keep both columns in step), then 2.0.0 takes traffic.
    const v2 = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', join(VERSIONS, '2.0.0'), '--wait']);
    expect(v2.code, v2.stderr + v2.stdout).toBe(0);
    const r2 = releaseOf(v2.stdout + v2.stderr);
    expect(columns()).toEqual(['name', 'title']);

    // Between expand and contract: back to 1.0.0 works (the expanded schema serves it), and forward again.
    const back = await cli(['rollback', '--project', 'shop', '--stage', 'prod', '--to', r1, '--wait']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    const again = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', join(VERSIONS, '2.0.0'), '--wait']);
    expect(again.code, again.stderr + again.stdout).toBe(0);

    const plan = await cli(['migrate', 'plan', '--project', 'shop']);
    expect(plan.stdout).toContain(`contract of ${r2} (web): ready`);
    const dry = await cli(['migrate', 'contract', '--project', 'shop', '--stage', 'prod', '--dry-run']);
    expect(dry.stdout).toContain(`the contract of ${r2} (web) may run in prod now`);
    expect(columns()).toEqual(['name', 'title']);

    const contract = await cli(['migrate', 'contract', '--project', 'shop', '--stage', 'prod', '--json']);
    expect(contract.code, contract.stderr).toBe(0);
    const runId = (JSON.parse(contract.stdout) as { runId: string }).runId;
    const watched = await cli(['watch', runId]);
    expect(watched.code, watched.stderr + watched.stdout).toBe(0);
    expect(columns()).toEqual(['title']);

    const seen = await traffic.end();
    // Continuous: requests went on through every step above.
    expect(seen.length).toBeGreaterThan(50);
    const failed = seen.filter((s) => s.status !== 200);
    expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
    const versions = new Set(seen.map((s) => (JSON.parse(s.body) as { version: string }).version));
    expect(versions).toEqual(new Set(['1.0.0', '2.0.0']));

    // Past the contract: refused, saying why and what to do; nothing changes.
    const refused = await cli(['rollback', '--project', 'shop', '--stage', 'prod', '--to', r1]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`rollback of stage 'prod' to release ${r1} refused: the contract of release ${r2}`);
    expect(refused.stderr).toContain('Roll forward with a fix');
    expect((await get(endpoint)).body).toContain('"version":"2.0.0"');

    // Each migration ran once in the stage: the second trip forward found 2.0.0's expand applied.
    expect(ledger().map((l) => `${l.phase} ${l.id.split('/')[3]}`)).toEqual([`expand ${r1}`, `expand ${r2}`, `contract ${r2}`]);
    const recorded = await api<{ stages: { changes: { phase: string; releaseId: string }[] }[] }>('/api/v1/projects/shop/migrations');
    expect(recorded.stages[0]!.changes.map((c) => `${c.phase} ${c.releaseId}`)).toEqual([`expand ${r1}`, `expand ${r2}`, `contract ${r2}`]);
  }, 300_000);

  it('a server killed during a migration command does not run it twice', async () => {
    // The command notes each start, then works for a while: the kill lands in the middle.
    const run = `echo started >> ${join(dir, 'ran.txt')}; sleep 3; echo done >> ${join(dir, 'ran.txt')}`;
    const yaml = pipeline(`{phase: expand, database: shop.db, expand: '${run}', autoContract: false}`).replace(/ {8}- \{name: deploy.*\n/, '').replace(/ {8}- \{name: soak.*\n/, '        - {name: after, kind: noop}\n');
    await start(yaml);
    const t = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const runId = (JSON.parse(t.stdout) as { runId: string }).runId;
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(dir, 'ran.txt')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    server!.proc.kill('SIGKILL');
    await new Promise((r) => server!.proc.once('exit', r));
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN, DEMO_DB: db });
    const watched = await cli(['watch', runId]);
    expect(watched.code, watched.stderr + watched.stdout).toBe(0);
    expect((await readFile(join(dir, 'ran.txt'), 'utf8')).trim().split('\n')).toEqual(['started', 'done']);
    expect(ledger().map((l) => l.phase)).toEqual(['expand']);
  }, 120_000);
});
