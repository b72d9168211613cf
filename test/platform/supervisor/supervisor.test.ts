/**
 * The supervisor with real processes (examples/demo-app) and real HTTP on 127.0.0.1. Tests
 * wait on supervisor events and on conditions, never on fixed sleeps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/platform/manifest/index.js';
import { InstanceStartError } from '../../../src/platform/supervisor/index.js';
import { crash, demoSpec, getJson, groupsOf, instanceId, listening, nextEvent, supervisor, tempDir } from './helpers.js';

describe('supervisor', () => {
  it('starts a version on a port of its own and reports it ready once healthy', async () => {
    const sup = supervisor();
    const ready = nextEvent(sup, 'instance:ready');
    const a = await sup.start(await demoSpec('shop/dev/web/blue/r1', '1.0.0'));
    const b = await sup.start(await demoSpec('shop/dev/web/green/r2', '1.1.0'));

    expect(a).toMatchObject({ status: 'ready', restarts: 0, adopted: false, url: `http://127.0.0.1:${a.port}` });
    expect((await ready).instance.id).toBe(a.id);
    expect(a.port).not.toBe(b.port);
    expect((await getJson(a.url)).body).toMatchObject({ version: '1.0.0', slot: 'blue' });
    expect((await getJson(b.url)).body).toMatchObject({ version: '1.1.0', slot: 'green' });
    expect(sup.list().map((i) => [i.id, i.status])).toEqual([
      [a.id, 'ready'],
      [b.id, 'ready'],
    ]);
    expect((await sup.logs(a.id)).join('\n')).toContain(`demo-app 1.0.0 listening on 127.0.0.1:${a.port}`);
  });

  it("an app inherits the server's environment without its SLIPWAY_* settings (tokens, the store URL), and gets its own instance id and port", async () => {
    const server = { SLIPWAY_ADMIN_TOKEN: 'admin-token-must-not-leak', SLIPWAY_STORE: 'postgres://u:pw-must-not-leak@db/slipway', SLIPWAY_TEST_SERVER_ONLY: 'x', APP_TEST_INHERITED: 'kept' };
    const saved = Object.fromEntries(Object.keys(server).map((k) => [k, process.env[k]]));
    Object.assign(process.env, server);
    try {
      const sup = supervisor();
      const a = await sup.start(await demoSpec('shop/dev/web/blue/env', '1.0.0', { env: { FROM_START: 'yes' } }));
      const env = readFileSync(`/proc/${a.pid}/environ`, 'latin1').split('\0');
      expect(env.filter((v) => v.startsWith('SLIPWAY_'))).toEqual([`SLIPWAY_INSTANCE_ID=${a.id}`]);
      expect(env).toContain('APP_TEST_INHERITED=kept');
      expect(env).toContain('FROM_START=yes');
      expect(env).toContain('DEMO_VERSION=1.0.0');
      expect(env).toContain(`PORT=${a.port}`);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('starting the same instance id again returns the running instance instead of a second process', async () => {
    const sup = supervisor();
    const spec = await demoSpec('shop/dev/web/blue/r1', '1.0.0');
    const [first, second] = await Promise.all([sup.start(spec), sup.start(spec)]);
    const third = await sup.start(spec);

    expect(second.pid).toBe(first.pid);
    expect(third.pid).toBe(first.pid);
    expect(groupsOf(spec.id)).toEqual([first.pid]);
    await expect(sup.start({ ...spec, dir: tempDir() })).rejects.toThrow(/already runs from/);
  });

  it('a version failing its health checks never becomes ready; the error names the check and the log tail', async () => {
    const sup = supervisor();
    let readies = 0;
    sup.on('instance:ready', () => readies++);
    const spec = await demoSpec('shop/dev/web/canary/bad', '1.4.0-unhealthy', { startTimeoutMs: 5000 }); // time to start node and answer 503 on a loaded machine

    const error = await sup.start(spec).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(InstanceStartError);
    const e = error as InstanceStartError;
    expect(e.reason).toBe('timeout');
    expect(e.message).toContain('GET /healthz answered 503');
    expect(e.message).toMatch(/last log lines:\n.*demo-app 1\.4\.0-unhealthy listening/s);
    expect(readies).toBe(0);
    const instance = sup.get(spec.id)!;
    expect(instance.status).toBe('stopped');
    expect(groupsOf(spec.id)).toEqual([]);
    expect(await listening(instance.port)).toBe(false);
  });

  it('a process that exits before it is healthy fails the start with its exit code and output', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'slipway-app.yaml'), 'start: echo "cannot open the database" >&2; exit 3\n');
    const sup = supervisor();

    const start = sup.start({ id: instanceId('broken'), dir, manifest: await loadManifest(dir) });

    await expect(start).rejects.toMatchObject({ reason: 'exited' });
    await expect(start).rejects.toThrow(/exited with code 3 before it became ready; last log lines:\n.*cannot open the database/s);
  });

  it('restarts a crashed instance on the same port, waiting longer after each crash in a row', async () => {
    const sup = supervisor({ backoff: { initialMs: 100, maxMs: 1000 } });
    const first = await sup.start(await demoSpec('shop/dev/web/blue/r1', '1.0.0'));

    const delays: number[] = [];
    let pid = first.pid!;
    for (let i = 1; i <= 2; i++) {
      const exited = nextEvent(sup, 'instance:exited');
      const restarted = nextEvent(sup, 'instance:restarted');
      const ready = nextEvent(sup, 'instance:ready');
      await crash(pid);
      expect(await exited).toMatchObject({ expected: false, instance: { id: first.id } });
      const r = await restarted;
      delays.push(r.delayMs);
      expect(r.instance).toMatchObject({ restarts: i, port: first.port, status: 'starting' });
      const back = (await ready).instance;
      expect(back.pid).not.toBe(pid);
      pid = back.pid!;
    }

    expect(delays).toEqual([100, 200]);
    expect(sup.get(first.id)).toMatchObject({ status: 'ready', restarts: 2 });
    expect((await getJson(first.url)).body.version).toBe('1.0.0');
    expect((await sup.logs(first.id)).join('\n')).toContain('restarting in 200 ms');
  });

  it('an instance that stops answering its health checks is reported unhealthy, and ready again when it recovers', async () => {
    const sup = supervisor();
    const spec = await demoSpec('shop/dev/web/blue/r1', '1.0.0');
    spec.manifest = { ...spec.manifest, health: { ...spec.manifest.health, intervalMs: 100, timeoutMs: 300 } };
    const instance = await sup.start(spec);

    const unhealthy = nextEvent(sup, 'instance:unhealthy');
    process.kill(-instance.pid!, 'SIGSTOP');
    try {
      const event = await unhealthy;
      expect(event.reason).toMatch(/^3 health checks in a row failed: GET \/healthz timed out after 300 ms$/);
      expect(event.instance.status).toBe('unhealthy');
      expect(sup.get(spec.id)?.status).toBe('unhealthy');
    } finally {
      const ready = nextEvent(sup, 'instance:ready');
      process.kill(-instance.pid!, 'SIGCONT');
      expect((await ready).instance).toMatchObject({ status: 'ready', pid: instance.pid, restarts: 0 });
    }
  });

  it('retire lets a request in flight finish, then stops the process', async () => {
    const sup = supervisor();
    const spec = await demoSpec('shop/dev/web/blue/slow', '1.2.0-slow', { env: { DEMO_LATENCY_MS: '1500', DEMO_LOG_REQUESTS: '1' } });
    const instance = await sup.start(spec);
    const exited = nextEvent(sup, 'instance:exited');
    const stopped = nextEvent(sup, 'instance:stopped');

    const inFlight = getJson(instance.url);
    await waitForLog(sup, spec.id, 'GET / started');
    await sup.retire(spec.id, { drainMs: 100 });

    expect((await inFlight).body).toMatchObject({ version: '1.2.0-slow' });
    expect(await exited).toMatchObject({ expected: true, code: 0 });
    expect((await stopped).instance.status).toBe('stopped');
    expect(sup.get(spec.id)?.status).toBe('stopped');
    expect(groupsOf(spec.id)).toEqual([]);
    expect(await listening(instance.port)).toBe(false);
    expect((await sup.logs(spec.id)).join('\n')).toMatch(/SIGTERM, draining 1 request/);
  });
});

async function waitForLog(sup: ReturnType<typeof supervisor>, id: string, text: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!(await sup.logs(id)).some((l) => l.includes(text))) {
    if (Date.now() > until) throw new Error(`no log line with '${text}'`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
