/**
 * Starting the server: the bootstrap admin token (a 0600 file, or SLIPWAY_ADMIN_TOKEN),
 * projects from the data directory and the command line, and the real `slipway server`
 * process answering /healthz and stopping cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/index.js';
import { OUTSIDE, SHOP } from './harness.js';
import { removeDataDir } from '../support/remove-data-dir.js';

let dir: string;
let running: RunningServer | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-start-'));
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  await removeDataDir(dir);
});

const start = (over: Partial<Parameters<typeof startServer>[0]> = {}) =>
  startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), files: [], openRead: false, log: pino({ level: 'silent' }), ...over });


const get = (server: RunningServer, path: string, token?: string) => fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the admin token', () => {
  it('is written once to <data>/admin-token with mode 0600 and works as admin', async () => {
    running = await start();
    const file = join(dir, 'data', 'admin-token');
    expect(running.adminTokenFile).toBe(file);
    expect(running.adminTokenNote).toBe(`admin token: ${file}`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const token = (await readFile(file, 'utf8')).trim();
    expect(token).toMatch(/^slw_/);
    expect((await get(running, '/api/v1/tokens', token)).status).toBe(200);
    await running.close();

    running = await start();
    expect((await readFile(file, 'utf8')).trim()).toBe(token);
    expect((await get(running, '/api/v1/tokens', token)).status).toBe(200);
  });

  it('SLIPWAY_ADMIN_TOKEN is accepted as an admin token and no file is written', async () => {
    const given = 'automation-token-0123456789abcdef';
    running = await start({ adminToken: given });
    expect(running.adminTokenFile).toBeUndefined();
    expect(running.adminTokenNote).not.toContain(given);
    expect((await get(running, '/api/v1/tokens', given)).status).toBe(200);
    await expect(stat(join(dir, 'data', 'admin-token'))).rejects.toThrow();
    await running.close();
    running = undefined;
    await expect(start({ adminToken: 'short' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('projects at start', () => {
  it('come from <data>/projects/*.yaml and from files named on the command line', async () => {
    await mkdir(join(dir, 'data', 'projects'), { recursive: true });
    await writeFile(join(dir, 'data', 'projects', 'ext.yaml'), OUTSIDE);
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    running = await start({ files: [join(dir, 'shop.yaml')] });
    const token = (await readFile(running.adminTokenFile!, 'utf8')).trim();
    const { projects } = (await (await get(running, '/api/v1/projects', token)).json()) as { projects: { name: string }[] };
    expect(projects.map((p) => p.name)).toStrictEqual(['ext', 'shop']);
  });

  it('a file that does not load stops the start with its error', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: nope\n');
    await expect(start({ files: [join(dir, 'bad.yaml')] })).rejects.toMatchObject({ code: 'SPEC_FIELD' });
  });
});

describe('slipway server (the process)', () => {
  it('serves /healthz, runs the demo release, and exits 0 on SIGTERM', async () => {
    const bin = resolve('bin/slipway.js');
    const child = spawn(process.execPath, [bin, 'server', resolve('examples/demo/slipway.yaml'), '--port', '0', '--data', join(dir, 'data')], {
      env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_ADMIN_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no URL printed: ${stderr}`)), 20_000);
      child.stderr.on('data', () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
    });
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toStrictEqual({ ok: true });
      const tokenFile = join(dir, 'data', 'admin-token');
      expect(stderr).toContain(`admin token: ${tokenFile}`);
      const token = (await readFile(tokenFile, 'utf8')).trim();
      expect(stderr).not.toContain(token);
      const res = await fetch(`${url}/api/v1/projects/shop/releases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ artifacts: { frontend: 'demo/frontend:1.0.0', backend: 'demo/backend:1.0.0' } }),
      });
      expect(res.status).toBe(201);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: stopping');
  });
});
