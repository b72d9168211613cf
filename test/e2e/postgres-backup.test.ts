/**
 * Backup and restore of the PostgreSQL store through the real CLI and server: a release
 * waits on an approval in its second stage while other releases keep the server writing;
 * `slipway backup` takes a pg_dump over the API; `slipway restore --store` puts it into a
 * fresh, empty database (refusing the running server's database and a database that holds a
 * store); a server started there takes the approval and the release goes on to production.
 * The password in the store URL reaches pg_dump and pg_restore only as PGPASSWORD: wrappers
 * around the real programs (SLIPWAY_PG_BIN) record each command line.
 */
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir } from '../support/postgres-cluster.js';
import { PG_URL_ENV, adminQuery, createTestDatabase, pgSkipNote, pgSkipReason, testDatabasePrefix, withDatabase, type TestDatabase } from '../support/postgres.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-pg-backup-0123456789';
// The test cluster trusts local connections, so any password is accepted: it is here to be looked for.
const PASSWORD = 'hunter2-pg-backup-pw';

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

interface RunRow {
  id: string;
  stage: string;
  state: string;
  releaseId: string;
}

let dir: string;
let wrappers: string;
let source: TestDatabase;
const fresh: string[] = [];
const servers: ServerProcess[] = [];

/** The URL of database `name` with the password in it. */
const urlOf = (name: string): string => {
  const u = new URL(withDatabase(process.env[PG_URL_ENV]!, name));
  u.password = PASSWORD;
  return u.toString();
};

async function emptyDatabase(): Promise<string> {
  const name = `${testDatabasePrefix()}restore_${fresh.length}_${process.pid}`;
  await adminQuery(`create database ${name}`);
  fresh.push(name);
  return name;
}

async function start(args: string[]): Promise<ServerProcess> {
  const s = await startServerProcess(args, dir, { SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_PG_BIN: wrappers, SLIPWAY_LOG_LEVEL: 'info' });
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

async function runIn(server: ServerProcess, releaseId: string, stage: string, state: string, timeoutMs = 30_000): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { runs } = await api<{ runs: RunRow[] }>(server, 'GET', `/api/v1/runs?release=${releaseId}&stage=${stage}`);
    const run = runs.find((r) => r.state === state);
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`release ${releaseId} has no ${state} run in ${stage} after ${timeoutMs} ms: ${JSON.stringify(runs)}\n${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cli(args: string[], opts: { server?: ServerProcess; env?: Record<string, string> } = {}) {
  const child = slipway(args, dir, {
    SLIPWAY_CONFIG: join(dir, 'no-config.json'),
    SLIPWAY_PG_BIN: wrappers,
    ...(opts.server ? { SLIPWAY_SERVER: opts.server.url, SLIPWAY_TOKEN: ADMIN } : {}),
    ...opts.env,
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe.skipIf(pgSkipReason() !== undefined)(`backup and restore on PostgreSQL ${pgSkipNote()}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-pg-backup-'));
    await writeFile(join(dir, 'slipway.yaml'), yaml);
    // Wrappers that log their command line and whether PGPASSWORD was set, then run the real program.
    wrappers = join(dir, 'pg-bin');
    await mkdir(wrappers);
    for (const tool of ['pg_dump', 'pg_restore']) {
      const file = join(wrappers, tool);
      await writeFile(file, `#!/bin/sh\necho "${tool} $* PGPASSWORD=\${PGPASSWORD:+set}" >> ${join(dir, 'pg-commands.log')}\nexec ${join(postgresBinDir()!, tool)} "$@"\n`);
      chmodSync(file, 0o755);
    }
    source = await createTestDatabase();
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await source?.drop();
    for (const name of fresh) await adminQuery(`drop database if exists ${name} with (force)`);
    await rm(dir, { recursive: true, force: true });
  });

  it('a release waiting on an approval, backed up while the server writes, continues from the restored database', async () => {
    const a = await start(['slipway.yaml', '--data', 'data-a', '--store', urlOf(source.name)]);
    const { releaseId } = await api<{ releaseId: string }>(a, 'POST', '/api/v1/projects/shop/releases', { artifacts: { web: 'web:1' } });
    await runIn(a, releaseId, 'staging', 'waiting');

    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        await api(a, 'POST', '/api/v1/projects/shop/releases', { artifacts: { api: `api:${++n}` } });
        await new Promise((r) => setTimeout(r, 20));
      }
      return n;
    })();
    const backup = join(dir, 'shop.dump');
    const b = await cli(['backup', backup, '--json'], { server: a });
    writing = false;
    const written = await writer;
    expect(b.code, b.stderr).toBe(0);
    expect(written).toBeGreaterThan(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ file: backup, format: 'pg_dump' });
    expect((await readFile(backup)).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(readdirSync(join(dir, 'data-a')).filter((f) => f.startsWith('backup-'))).toEqual([]);
    const human = await cli(['backup', join(dir, 'again.dump')], { server: a });
    expect(human.stdout).toContain('restore it with: slipway restore');
    expect(human.stdout).toContain('--store postgres://');

    // Restore refuses the running server's database, naming who is connected, and leaves it be.
    const busy = await cli(['restore', backup, '--store', urlOf(source.name)]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/cannot restore into 127\.0\.0\.1:\d+ \(database 'slipway_t_\w+', user 'postgres'\): \d+ other session\(s\) are connected to it .*stop the Slipway server/);

    // An empty database: restored. Again: refused, naming what it holds. With --force: replaced.
    const target = await emptyDatabase();
    const r = await cli(['restore', backup, '--store', urlOf(target)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored .*shop\.dump \(\d+ bytes, \d+ tables\) into the PostgreSQL store at 127\.0\.0\.1/);
    const again = await cli(['restore', backup, '--store', urlOf(target)]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the database .* is not empty; it holds .*: a Slipway store with \d+ releases and \d+ runs\. Restoring would replace it: pass --force/);
    const forced = await cli(['restore', backup, '--store', urlOf(target), '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('replacing');

    // A server on the restored database, with a fresh data directory and no pipeline file.
    const b2 = await start(['--data', 'data-b', '--store', urlOf(target)]);
    await runIn(b2, releaseId, 'staging', 'waiting');
    await api(b2, 'POST', `/api/v1/releases/${releaseId}/approvals`, { stage: 'staging', decision: 'approve' });
    const prod = await runIn(b2, releaseId, 'production', 'succeeded');
    expect(prod.releaseId).toBe(releaseId);
    expect((await readFile(join(dir, 'prod.txt'), 'utf8')).trim().split('\n')).toEqual(['prod web:1']);
    // The restored database holds a moment of the source: every release in it is one the source has.
    const ids = async (name: string) => (await adminQuery('select id from releases', withDatabase(process.env[PG_URL_ENV]!, name))).rows.map((x: { id: string }) => x.id);
    const [restored, original] = [await ids(target), new Set(await ids(source.name))];
    expect(restored).toContain(releaseId);
    expect(restored.filter((id) => !original.has(id))).toEqual([]);
    // The original server still waits: the two databases are separate.
    await runIn(a, releaseId, 'staging', 'waiting', 1000);

    // No command line held the password; each child had it as PGPASSWORD.
    const commands = (await readFile(join(dir, 'pg-commands.log'), 'utf8')).trim().split('\n');
    expect(commands.some((l) => l.startsWith('pg_dump --format=custom'))).toBe(true);
    expect(commands.filter((l) => l.startsWith('pg_restore') && l.includes('--dbname=')).length).toBe(2);
    for (const line of commands.filter((l) => l.includes('--dbname='))) expect(line).toMatch(/PGPASSWORD=set$/);
    const everything = [commands.join('\n'), b.stdout, b.stderr, r.stdout, r.stderr, again.stderr, busy.stderr, a.stderr(), b2.stderr()].join('\n');
    expect(everything).not.toContain(PASSWORD);
  }, 240_000);

  it('backs up a database directly with --store, and says what is missing when pg_dump is not there', async () => {
    const ok = await cli(['backup', 'direct.dump', '--store', urlOf(source.name), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ format: 'pg_dump' });

    const missing = await cli(['backup', 'none.dump', '--store', urlOf(source.name)], { env: { SLIPWAY_PG_BIN: join(dir, 'no-such-bin') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/pg_dump is not installed: it is not in SLIPWAY_PG_BIN \(.*no-such-bin\); install PostgreSQL's client programs \(Debian: apt-get install postgresql-client/);
    expect(existsSync(join(dir, 'none.dump'))).toBe(false);
    expect(existsSync(join(dir, 'none.dump.partial'))).toBe(false);
  }, 60_000);

  it('restore refuses a file that is no PostgreSQL backup of a store, and a pg_dump into --data', async () => {
    await writeFile(join(dir, 'not-a-dump'), 'hello');
    const target = await emptyDatabase();
    const r = await cli(['restore', 'not-a-dump', '--store', urlOf(target)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-a-dump is not a usable backup of a PostgreSQL store: it is not a pg_dump custom-format file/);

    // A pg_dump of a database that is no Slipway store.
    const other = await emptyDatabase();
    await adminQuery('create table t (x int)', withDatabase(process.env[PG_URL_ENV]!, other));
    expect((await cli(['backup', 'other.dump', '--store', urlOf(other)])).code).toBe(0);
    const notStore = await cli(['restore', 'other.dump', '--store', urlOf(target)]);
    expect(notStore.code).toBe(2);
    expect(notStore.stderr).toContain('the dump has no slipway_migration table');
    expect((await adminQuery(`select count(*)::int as n from pg_tables where schemaname = 'public'`, withDatabase(process.env[PG_URL_ENV]!, target))).rows[0]).toEqual({ n: 0 });

    const wrongWay = await cli(['restore', 'direct.dump', '--data', 'data-x']);
    expect(wrongWay.code).toBe(2);
    expect(wrongWay.stderr).toContain('is a pg_dump backup of a PostgreSQL store; restore it with --store postgres://');
    expect(existsSync(join(dir, 'data-x', 'slipway.db'))).toBe(false);
  }, 60_000);
});
