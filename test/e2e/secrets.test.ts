/**
 * The secret canary, through a real `slipway server` at debug log level: one value given
 * in the server's environment (SLIPWAY_SECRET_CANARY_ENV), one set with `slipway secret
 * set` on stdin. A shell task and a webhook task use both and receive them; then the
 * server's log, the event log, the event stream, every GET answer and every file under
 * the data directory (SQLite file and WAL included) are searched for both: found nowhere.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from '../api/sse.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { BIN, slipway } from './support/slipway-process.js';
import { e2eStore } from './support/e2e-store.js';

const ADMIN = 'slw_e2e-secrets-admin-0123456789abcdef';
const ENV_CANARY = 'canary-env-3f9a1c7e55';
const CLI_CANARY = 'canary-cli-8d2b6e0f44';
const QUERY_CANARY = 'canary-query-token-71c4';
const CANARIES = [ENV_CANARY, CLI_CANARY];

let dir: string;
let outDir: string;
let server: ServerProcess;
let receiver: Server;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

const pipeline = (hook: string): string => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - name: deploy
          kind: shell
          properties:
            run: env > '${outDir}/env.txt'
            env: {FROM_ENV: '\${secret:CANARY_ENV}', FROM_CLI: '\${secret:CANARY_CLI}'}
        - name: notify
          kind: webhook
          properties:
            url: ${hook}
            headers: {Authorization: 'Bearer \${secret:CANARY_CLI}'}
            body: {fromEnv: '\${secret:CANARY_ENV}'}
`;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`you sent ${req.headers.authorization ?? ''} and ${body}`);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-secrets-'));
  outDir = await mkdtemp(join(tmpdir(), 'slipway-e2e-secrets-out-'));
  await writeFile(join(dir, 'slipway.yaml'), pipeline(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`));
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, {
    SLIPWAY_ADMIN_TOKEN: ADMIN,
    SLIPWAY_SECRET_CANARY_ENV: ENV_CANARY,
    SLIPWAY_LOG_LEVEL: 'debug',
  });
});
afterAll(async () => {
  await server?.stop();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
  await rm(dir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

const cliEnv = (): Record<string, string> => ({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });

/** `slipway secret set NAME` with the value on stdin, as a user pipes it. */
function secretSet(name: string, value: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [BIN, 'secret', 'set', name], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...cliEnv() }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  proc.stdin.end(`${value}\n`);
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function cli(args: string[]) {
  const child = slipway(args, dir, cliEnv());
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, text: await res.text() };
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

function expectNoCanary(text: string, where: string): void {
  for (const c of CANARIES) expect(text.includes(c), `${where} holds ${c}`).toBe(false);
}

describe('the secret canary', () => {
  it('reaches the shell and webhook tasks, and nothing else', async () => {
    const set = await secretSet('CANARY_CLI', CLI_CANARY);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('set secret CANARY_CLI');
    expectNoCanary(set.stdout + set.stderr, 'secret set output');

    const list = await cli(['secret', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { secrets: { name: string; source: string }[] };
    expect(listed.secrets.map((s) => [s.name, s.source])).toStrictEqual([
      ['CANARY_CLI', 'store'],
      ['CANARY_ENV', 'env'],
    ]);

    const run = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:1', '--wait']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expectNoCanary(run.stdout + run.stderr, 'the CLI output');

    // The tasks received the values.
    const env = await readFile(join(outDir, 'env.txt'), 'utf8');
    expect(env).toContain(`FROM_ENV=${ENV_CANARY}\n`);
    expect(env).toContain(`FROM_CLI=${CLI_CANARY}\n`);
    expect(env).not.toContain(ADMIN);
    expect(env).not.toMatch(/^SLIPWAY_SECRET_/m);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.authorization).toBe(`Bearer ${CLI_CANARY}`);
    expect(JSON.parse(received[0]!.body)).toStrictEqual({ fromEnv: ENV_CANARY });

    // The event log, as a read token sees it, and the stream from the start.
    const events = await get('/api/v1/events?limit=1000');
    expect(events.status).toBe(200);
    expect(events.text).toContain('${secret:CANARY_CLI}');
    expectNoCanary(events.text, 'GET /api/v1/events');
    const count = (JSON.parse(events.text) as { events: unknown[] }).events.length;
    const stream = await openStream(`${server.url}/api/v1/events/stream`, { authorization: `Bearer ${ADMIN}`, 'last-event-id': '0' });
    const messages = await stream.waitFor(count, 10_000);
    stream.close();
    expectNoCanary(JSON.stringify(messages), 'the event stream');

    // Every GET route the OpenAPI document lists, with this project's ids filled in.
    const runs = JSON.parse((await get('/api/v1/runs?project=shop')).text) as { runs: { id: string; releaseId: string }[] };
    const ids: Record<string, string> = { project: 'shop', runId: runs.runs[0]!.id, releaseId: runs.runs[0]!.releaseId, stage: 'dev', name: 'CANARY_CLI' };
    const doc = JSON.parse((await get('/api/v1/openapi.json')).text) as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.entries(doc.paths)
      .filter(([p, ops]) => 'get' in ops && !p.endsWith('/stream'))
      .map(([p]) => p.replace(/\{(\w+)\}/g, (_m, k: string) => ids[k] ?? k));
    if (!paths.includes('/metrics')) paths.push('/metrics');
    expect(paths.length).toBeGreaterThan(8);
    for (const path of paths) {
      const answer = await get(path);
      expect(answer.status, `${path}: ${answer.text}`).toBeLessThan(500);
      expectNoCanary(answer.text, `GET ${path}`);
    }

    // A token in a query string is not written to the debug request log.
    await fetch(`${server.url}/api/v1/events?token=${QUERY_CANARY}`, { headers: { authorization: `Bearer ${ADMIN}` } });

    // The data directory while the server runs (its recent writes sit in the WAL)...
    const data = join(dir, 'data');
    const files = await filesUnder(data);
    // On PostgreSQL (SLIPWAY_TEST_STORE) the store is not in the directory; the rest of it still must not hold a secret.
    if (e2eStore() === 'sqlite') expect(files.some((f) => f.endsWith('slipway.db'))).toBe(true);
    for (const file of files) expectNoCanary((await readFile(file)).toString('latin1'), file);

    // ...and after it stopped, with the whole log it wrote at debug level.
    expect(await server.stop()).toBe(0);
    for (const file of await filesUnder(data)) expectNoCanary((await readFile(file)).toString('latin1'), file);
    const log = server.stderr();
    expect(log).toContain('incoming request'); // debug request lines were written
    expect(log).toContain('token=[redacted]');
    expect(log).not.toContain(QUERY_CANARY);
    expectNoCanary(log, 'the server log');
  });
});
