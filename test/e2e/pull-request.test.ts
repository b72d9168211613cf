/**
 * Pull-request environments through the real server process and the real CLI, without a
 * forge webhook: `slipway pr open` deploys a pull request's artifact to pr-<n> (a real
 * demo-app process behind its own router), the forge stand-in on 127.0.0.1 gets the commit
 * statuses with the URL, `pr list` shows URL and expiry, `pr keep` pins it, `pr close` tears
 * it down: the process (its pid, as the app reports it) is gone and the URL refuses.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive, waitUntil } from '../executors/helpers.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const ADMIN = 'slw_e2e-admin-token-pull-requests-0123456789';
const VERSION = fileURLToPath(new URL('../../examples/demo-app/versions/1.0.0', import.meta.url));
const COMMIT = 'c0ffee'.padEnd(40, '1');

let dir: string;
let server: ServerProcess;
let forge: Server;
const statuses: { path: string; body: Record<string, unknown> }[] = [];

async function cli(args: string[]) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

interface Listed {
  number: number;
  state: string;
  urls: Record<string, string>;
  kept: boolean;
  expiresAt?: number;
  runState?: string;
}

async function listed(): Promise<Listed[]> {
  const r = await cli(['pr', 'list', '--project', 'shop', '--all', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { pullRequests: Listed[] }).pullRequests;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-pr-'));
  forge = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      statuses.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(201).end('{}');
    });
  });
  await new Promise<void>((r) => forge.listen(0, '127.0.0.1', r));
  const forgeUrl = `http://127.0.0.1:${(forge.address() as AddressInfo).port}`;
  await writeFile(
    join(dir, 'slipway.yaml'),
    `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  pullRequests:
    template: dev
    ttl: 2h
    forge: {kind: gitlab, api: '${forgeUrl}/api/v4', repository: acme/shop, token: '\${secret:FORGE_TOKEN}'}
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
`,
  );
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_SECRET_FORGE_TOKEN: 'gl-token-abcdef' });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await new Promise((r) => forge.close(r));
  await removeDataDir(dir);
});

describe('pull-request environments through the server and the CLI', () => {
  it('opens pr-5, reports its URL, lists and pins it, and closing it stops its process', async () => {
    const opened = await cli(['pr', 'open', '5', '--project', 'shop', '--commit', COMMIT, '--branch', 'feature/login', '--service', 'web', '--artifact', VERSION]);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toMatch(/^pr-5: deploying c0ffee111111 as run run-/);

    let pr: Listed | undefined;
    await waitUntil(async () => (pr = (await listed()).find((p) => p.number === 5))?.runState === 'succeeded', 60_000, 'pr-5 to be deployed');
    const url = pr!.urls['web']!;
    const answer = (await (await fetch(url)).json()) as { version: string; pid: number };
    expect(answer.version).toBe('1.0.0');
    expect(processAlive(answer.pid)).toBe(true);

    await waitUntil(() => statuses.some((s) => s.body['state'] === 'success'), 10_000, 'the ready status');
    expect(statuses.find((s) => s.body['state'] === 'success')).toMatchObject({
      path: `/api/v4/projects/acme%2Fshop/statuses/${COMMIT}`,
      body: { name: 'slipway/pr-5', target_url: url },
    });

    const table = await cli(['pr', 'list', '--project', 'shop']);
    expect(table.stdout).toContain(url);
    expect(table.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    const kept = await cli(['pr', 'keep', '5', '--project', 'shop']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('kept');
    expect((await listed()).find((p) => p.number === 5)).toMatchObject({ kept: true });

    const closed = await cli(['pr', 'close', '5', '--project', 'shop']);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toContain('pr-5 closed');
    await waitUntil(() => !processAlive(answer.pid), 15_000, 'the pr-5 process to exit');
    await expect(fetch(url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect((await listed()).find((p) => p.number === 5)).toMatchObject({ state: 'closed', urls: {} });
  }, 180_000);

  it('answers clear errors: an unknown pull request, and artifacts missing', async () => {
    const keep = await cli(['pr', 'keep', '77', '--project', 'shop']);
    expect(keep.code).not.toBe(0);
    expect(keep.stderr).toContain('pull request 77 of project');
    const r = await fetch(`${server.url}/api/v1/projects/shop/pull-requests`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ number: 6, commit: COMMIT }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain('names no artifacts');
  });
});
