/**
 * Notifications through a real `slipway server` and the real CLI: a release reaches dev and
 * a signed webhook hears it with a link under `--public-url`; a sink whose port refuses
 * shows as failing in `slipway notifications status` (and the API) while the run is long
 * done; `notifications test` sends a test message (and says when it could not); the server
 * is stopped, the refusing receiver comes up, and the restarted server delivers what was
 * queued, under the delivery id it had before.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedPort, startReceiver, until, type Receiver } from '../notify/receiver.js';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-notify-admin-0123456789abcdef';
const SECRET = 'e2e-hook-secret-5a7c9e1b3d';

let dir: string;
let server: ServerProcess;
let hook: Receiver;
let downPort: number;
let down: Receiver | undefined;

const yaml = (hookUrl: string, downUrl: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
  notifications:
    - name: hook
      webhook: {url: '${hookUrl}', secret: '\${secret:HOOK_SECRET}'}
      on: [stage.reached, run.failed]
    - name: down
      webhook: {url: '${downUrl}', secret: '\${secret:HOOK_SECRET}'}
      on: [stage.reached]
`;

const serverEnv = () => ({ SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_SECRET_HOOK_SECRET: SECRET, SLIPWAY_NOTIFY_RETRY_MS: '300' });
const start = () => startServerProcess(['--data', join(dir, 'data'), '--public-url', 'https://slipway.example.com', join(dir, 'slipway.yaml')], dir, serverEnv());

async function cli(args: string[]) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

async function api<T>(path: string): Promise<T> {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
}

interface Sink {
  sink: string;
  delivered: number;
  pending: number;
  failingSince: number | null;
  lastError: string | null;
  nextRetry: number | null;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-notify-'));
  hook = await startReceiver();
  downPort = await refusedPort();
  await writeFile(join(dir, 'slipway.yaml'), yaml(`${hook.url}/hook`, `http://127.0.0.1:${downPort}/down`));
  server = await start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await hook?.close();
  await down?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('notifications through the server and the CLI', () => {
  let queuedId = '';

  it('a release reaching dev is heard, signed, with a link under --public-url; the refusing sink shows failing', async () => {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'registry/web:2.0.0', '--commit', '0123456789abcdef', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const [got] = await hook.waitFor(1);
    expect(got!.body).toMatchObject({ topic: 'stage.reached', stage: 'dev', release: { artifacts: { web: 'registry/web:2.0.0' }, commit: '0123456789abcdef' } });
    expect(got!.body['runUrl']).toMatch(/^https:\/\/slipway\.example\.com\/api\/v1\/runs\/run-/);
    const ts = String(got!.headers['x-slipway-timestamp']);
    expect(got!.headers['x-slipway-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${got!.raw}`).digest('hex')}`);

    // Both sends start together; the hook's is recorded as delivered once its answer is back
    // and committed, which may come after the refusal.
    const { sinks } = await until('the refusing sink to fail and the hook to be recorded as delivered', async () => {
      const s = await api<{ sinks: Sink[] }>('/api/v1/notifications?project=shop');
      return s.sinks.find((x) => x.sink === 'down')?.failingSince && s.sinks.find((x) => x.sink === 'hook')?.delivered === 1 ? s : undefined;
    });
    expect(sinks.find((s) => s.sink === 'down')).toMatchObject({ delivered: 0, pending: 1, lastError: 'ECONNREFUSED' });
    expect(sinks.find((s) => s.sink === 'hook')).toMatchObject({ delivered: 1, pending: 0, failingSince: null });

    const status = await cli(['notifications', 'status', '--project', 'shop']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/shop\s+down\s+webhook\s+failing\s+0\s+1\s+0/);
    expect(status.stdout).toMatch(/shop\s+hook\s+webhook\s+ok\s+1\s+0\s+0/);
    expect(status.stdout).toContain('shop/down: last error');
    expect(status.stdout).toContain('ECONNREFUSED');

    const { deliveries } = await api<{ deliveries: { id: string; state: string }[] }>('/api/v1/projects/shop/notifications/down/deliveries');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.state).toBe('pending');
    queuedId = deliveries[0]!.id;
  });

  it('notifications test sends a test message, says when it could not, and names an unknown sink', async () => {
    const ok = await cli(['notifications', 'test', 'hook', '--project', 'shop']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('delivered test message to shop/hook (HTTP 200');
    const [, test] = await hook.waitFor(2);
    expect(test!.body).toMatchObject({ test: true, project: 'shop', actors: [{ role: 'sent', who: 'token:admin-env' }] });

    const bad = await cli(['notifications', 'test', 'down', '--project', 'shop']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('not delivered: test message to shop/down: ECONNREFUSED');

    const none = await cli(['notifications', 'test', 'pager', '--project', 'shop']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain("project 'shop' has no notification sink 'pager'; its sinks: hook, down");
  });

  it('the OpenAPI document describes the routes', async () => {
    const doc = await api<{ paths: Record<string, unknown> }>('/api/v1/openapi.json');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/notifications', '/api/v1/projects/{project}/notifications/{sink}/test']));
  });

  it('what was queued survives a restart and reaches the receiver once it is up, under the same delivery id', async () => {
    expect(await server.stop()).toBe(0);
    down = await startReceiver([200], downPort);
    server = await start();
    // The restarted server tries each sink's first waiting message at once, its backoff aside.
    const [got] = await down.waitFor(1, 30_000);
    expect(got!.headers['x-slipway-delivery']).toBe(queuedId);
    expect(got!.body).toMatchObject({ topic: 'stage.reached', release: { artifacts: { web: 'registry/web:2.0.0' } } });
    await until('the delivery recorded', async () => (await api<{ sinks: Sink[] }>('/api/v1/notifications')).sinks.find((s) => s.sink === 'down' && s.delivered === 1));
    // The hook sink heard nothing again after the restart.
    expect(hook.got).toHaveLength(2);
  });
});
