/**
 * Secrets through the real engine: a shell and a webhook task get `${secret:NAME}`
 * resolved, nothing they report carries a value back, the server's own credentials never
 * reach a shell task, and a secret that is not set fails the task that names it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/main.js';
import { waitForRunFinished } from '../e2e/support/wait.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const STORED = 'stored-canary-5d1f0c';
const FROM_ENV = 'env-canary-9b27e4';
// The server's configuration too: SLIPWAY_STORE holds the PostgreSQL password.
const CREDENTIALS = {
  SLIPWAY_ADMIN_TOKEN: 'admin-tok-should-not-leak',
  SLIPWAY_TOKEN: 'cli-tok-should-not-leak',
  SLIPWAY_SECRET_SERVER_ONLY: 'server-only-value',
  SLIPWAY_STORE: 'postgres://slipway:pg-password-should-not-leak@db.internal:5432/slipway',
};

let receiver: Server;
let hookUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`echo ${req.headers.authorization ?? ''}`); // an answer that repeats the secret
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // The server's own environment: a shell task must not inherit any of it.
  for (const [k, v] of Object.entries(CREDENTIALS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

const opened: { sw: Slipway; dirs: string[] }[] = [];
afterEach(async () => {
  received.length = 0;
  for (const o of opened.splice(0)) {
    await o.sw.close();
    for (const d of o.dirs) await rm(d, { recursive: true, force: true });
  }
});

async function open(): Promise<{ sw: Slipway; dataDir: string; outDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'slipway-secrets-data-'));
  const outDir = await mkdtemp(join(tmpdir(), 'slipway-secrets-out-'));
  const sw = await openSlipway({ dataDir, ...(await storeOptionFor(dataDir)), unservedKinds: 'fail', env: { ...process.env, SLIPWAY_SECRET_CANARY_ENV: FROM_ENV } });
  opened.push({ sw, dirs: [dataDir, outDir] });
  return { sw, dataDir, outDir };
}

async function runTasks(sw: Slipway, tasks: string, dir: string) {
  const text = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
${tasks}`;
  await sw.addPipelineText(text, join(dir, 'slipway.yaml'), dir);
  const done = waitForRunFinished(sw, { stage: 'dev' }, 20_000);
  await sw.engine.apply({ type: 'trigger', id: randomUUID(), by: 'test', project: 'shop', artifacts: { web: 'reg/web:1' } });
  const run = await done;
  const events = (await sw.store.events({ runId: run.id })).map((e) => e.event);
  return { run, events };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('secrets in task properties', () => {
  it('shell and webhook tasks receive resolved values; events, outputs and the data directory keep only names', async () => {
    const { sw, dataDir, outDir } = await open();
    await sw.secrets.set('API_TOKEN', STORED);
    const { run, events } = await runTasks(
      sw,
      `        - name: deploy
          kind: shell
          properties:
            run: env > ${outDir}/env.txt; echo "got $API_KEY"
            env: {API_KEY: '\${secret:API_TOKEN}', FROM_ENV: '\${secret:CANARY_ENV}'}
        - name: notify
          kind: webhook
          properties:
            url: ${hookUrl}
            headers: {Authorization: 'Bearer \${secret:API_TOKEN}'}
            body: {fromEnv: '\${secret:CANARY_ENV}'}
`,
      outDir,
    );
    expect(run.state).toBe('succeeded');

    const env = await readFile(join(outDir, 'env.txt'), 'utf8');
    expect(env).toContain(`API_KEY=${STORED}\n`);
    expect(env).toContain(`FROM_ENV=${FROM_ENV}\n`);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.authorization).toBe(`Bearer ${STORED}`);
    expect(JSON.parse(received[0]!.body)).toStrictEqual({ fromEnv: FROM_ENV });

    const log = JSON.stringify(events);
    expect(log).not.toContain(STORED);
    expect(log).not.toContain(FROM_ENV);
    expect(log).toContain('${secret:API_TOKEN}');
    const shell = events.find((e) => e.type === 'sh.slipway.task.deploy.finished')!;
    expect(JSON.stringify(shell.data)).toContain('got [secret:API_TOKEN]');
    const hook = events.find((e) => e.type === 'sh.slipway.task.notify.finished')!;
    expect(JSON.stringify(hook.data)).toContain('echo Bearer [secret:API_TOKEN]');

    // While the store is open its recent writes sit in the WAL: every file counts.
    for (const file of await filesUnder(dataDir)) {
      const bytes = await readFile(file);
      expect(bytes.includes(STORED), file).toBe(false);
      expect(bytes.includes(FROM_ENV), file).toBe(false);
    }
  });

  it("a shell task's environment holds none of the server's tokens, secrets or secret key", async () => {
    const { sw, outDir } = await open();
    const { run } = await runTasks(sw, `        - {name: deploy, kind: shell, properties: {run: 'env > ${outDir}/env.txt'}}\n`, outDir);
    expect(run.state).toBe('succeeded');
    const env = await readFile(join(outDir, 'env.txt'), 'utf8');
    for (const [name, value] of Object.entries(CREDENTIALS)) {
      expect(env).not.toContain(name);
      expect(env).not.toContain(value);
    }
    expect(env).not.toContain('SLIPWAY_SECRET_');
    expect(env).not.toContain(FROM_ENV);
    expect(env).toContain('SLIPWAY_TASK=deploy');
    // Only Slipway's own task variables carry its prefix.
    const own = ['SLIPWAY_PROJECT', 'SLIPWAY_STAGE', 'SLIPWAY_SEQUENCE', 'SLIPWAY_RELEASE', 'SLIPWAY_RUN', 'SLIPWAY_TASK', 'SLIPWAY_TASK_ID', 'SLIPWAY_ATTEMPT', 'SLIPWAY_SERVICES'];
    const prefixed = [...env.matchAll(/^(SLIPWAY_[A-Z0-9_]+)=/gm)].map((m) => m[1]!).filter((n) => !n.startsWith('SLIPWAY_ARTIFACT_'));
    expect(prefixed.sort()).toEqual(own.sort());
    expect(env).toMatch(/^PATH=/m);
  });

  it('a secret that is not set fails the task that names it (not retried), not the pipeline load', async () => {
    const { sw, outDir } = await open();
    const { run, events } = await runTasks(
      sw,
      `        - {name: deploy, kind: shell, retries: 2, properties: {run: 'touch ${outDir}/ran', env: {API_KEY: '\${secret:MISSING_TOKEN}'}}}\n`,
      outDir,
    );
    expect(run.state).toBe('failed');
    const finished = events.filter((e) => e.type === 'sh.slipway.task.deploy.finished');
    expect(finished).toHaveLength(1);
    const message = (finished[0]!.data as { message?: string }).message;
    expect(message).toBe(
      "shell task 'deploy': properties.env.API_KEY refers to secret 'MISSING_TOKEN', which is not set; set it with `slipway secret set MISSING_TOKEN` (value on stdin) or SLIPWAY_SECRET_MISSING_TOKEN in the server's environment",
    );
    await expect(readFile(join(outDir, 'ran'))).rejects.toThrow();
  });
});
