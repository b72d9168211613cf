/**
 * Deployments that really happen: the demo app's versions as real processes behind the
 * local platform's router, driven through the engine by deploy and release tasks.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import { storeOptionFor } from './support/e2e-store.js';
import { requestLoop } from './support/request-loop.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const VERSIONS = fileURLToPath(new URL('../../examples/demo-app/versions/', import.meta.url));
const v = (name: string) => join(VERSIONS, name);

let dir: string;
let slipway: Slipway;
const key = { project: 'shop', stage: 'prod', service: 'web' };

async function open(yaml: string): Promise<void> {
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  slipway = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), unservedKinds: 'fail' });
  await slipway.addPipelineFile(join(dir, 'slipway.yaml'));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-deploy-'));
});
afterEach(async () => {
  await slipway.engine.stop();
  await slipway.platform.close();
  await slipway.store.close();
  await removeDataDir(dir);
});

const pipelineWith = (deploy: string, after = '') => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
      tasks:
        - {name: deploy, kind: deploy, properties: ${deploy}}
${after}`;

function finished(releaseId?: string): Promise<Run> {
  return new Promise((resolve) => {
    const on = (r: Run) => {
      if (releaseId && r.releaseId !== releaseId) return;
      slipway.engine.emitter.off('run:finished', on);
      resolve(r);
    };
    slipway.engine.emitter.on('run:finished', on);
  });
}

async function release(artifact: string): Promise<Run> {
  const d = await slipway.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts: { web: artifact } });
  const existing = await slipway.store.getRun(d.value!.runId!);
  if (existing && ['succeeded', 'failed', 'aborted'].includes(existing.state)) return existing;
  return finished(d.value!.releaseId);
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; version?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        let version: string | undefined;
        try {
          version = (JSON.parse(body) as { version?: string }).version;
        } catch {
          version = undefined;
        }
        resolve({ status: res.statusCode ?? 0, ...(version ? { version } : {}) });
      });
    });
    req.on('error', () => resolve({ status: 0 }));
    // A request stuck in a swap is a failure seen, not a test that hangs.
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.end();
  });
}

/** Requests in a loop until stopped; counts failures and the versions that answered. */
const load = (url: string) => requestLoop(() => get(url));

async function endpoint(): Promise<string> {
  return (await slipway.platform.status(key))!.endpoint;
}

describe('deployments on the local platform', () => {
  it('blue/green: the new version is reachable by preview first, then swaps in one step under load with no failed request', async () => {
    await open(
      pipelineWith(
        '{strategy: blue-green}',
        '        - {name: check, kind: approval, properties: {pass: manual}}\n        - {name: release, kind: release, properties: {keepPrevious: 1m}}',
      ),
    );
    const approveNext = () =>
      new Promise<void>((resolve) => {
        const on = (ev: { type: string; taskid?: string }) => {
          if (!ev.type.endsWith('check.waiting')) return;
          slipway.engine.emitter.off('event', on);
          resolve();
          void slipway.engine.apply({ type: 'task.signal', id: crypto.randomUUID(), taskId: ev.taskid!, signal: 'approve', by: 'test' });
        };
        slipway.engine.emitter.on('event', on);
      });
    const first = approveNext();
    const done = release(v('1.0.0'));
    await first;
    expect((await done).state).toBe('succeeded');
    const url = await endpoint();
    expect((await get(url)).version).toBe('1.0.0');

    // 1.1.0 is staged: users still get 1.0.0, a tester reaches 1.1.0 by header or cookie.
    const staged = new Promise<string>((resolve) => {
      const on = (ev: { type: string; taskid?: string }) => {
        if (!ev.type.endsWith('check.waiting')) return;
        slipway.engine.emitter.off('event', on);
        resolve(ev.taskid!);
      };
      slipway.engine.emitter.on('event', on);
    });
    const d = await slipway.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts: { web: v('1.1.0') } });
    const check = await staged;
    const newSlot = (await slipway.platform.status(key))!.slots.find((s) => s.releaseId === d.value!.releaseId)!.slot;
    expect((await get(url)).version).toBe('1.0.0');
    expect((await get(url, { 'x-slipway-slot': newSlot })).version).toBe('1.1.0');
    expect((await get(url, { cookie: `slipway-slot=${newSlot}` })).version).toBe('1.1.0');

    const traffic = load(url);
    const ended = finished(d.value!.releaseId);
    await slipway.engine.apply({ type: 'task.signal', id: crypto.randomUUID(), taskId: check, signal: 'approve', by: 'test' });
    const run = await ended;
    const seen = await traffic.end();
    expect(run.state).toBe('succeeded');
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((r) => r.status !== 200)).toEqual([]);
    expect(seen.at(-1)!.version).toBe('1.1.0');
    // Once a request saw the new version, none saw the old one again: one step.
    const firstNew = seen.findIndex((r) => r.version === '1.1.0');
    expect(seen.slice(firstNew).every((r) => r.version === '1.1.0')).toBe(true);
    // The previous version stays warm (keepPrevious) and still answers preview routing.
    const old = (await slipway.platform.status(key))!.slots.find((s) => s.weight === 0)!;
    expect((await get(url, { 'x-slipway-slot': old.slot })).version).toBe('1.0.0');
  });

  it('a canary of a version failing 20% of requests is rolled back automatically; then all traffic reaches the old version', async () => {
    // 4 s at 50%: one request loop reaches the canary 20 times even on a loaded machine.
    await open(pipelineWith('{strategy: canary, steps: [{setWeight: 50}, {pause: 4s}, {analysis: {maxErrorRate: 0.05, minRequests: 20}}]}'));
    expect((await release(v('1.0.0'))).state).toBe('succeeded');
    const url = await endpoint();
    const traffic = load(url);
    const run = await release(v('1.3.0-flaky'));
    await traffic.end();
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.message).toMatch(/analysis failed, traffic restored to the previous version: web: .*% of \d+ requests failed/);
    const after: { status: number; version?: string }[] = [];
    for (let i = 0; i < 40; i++) after.push(await get(url));
    expect(after.every((r) => r.status === 200 && r.version === '1.0.0')).toBe(true);
    const events = (await slipway.store.events({ types: ['sh.slipway.release.rollback'] })).map((e) => e.event.data as { reason: string });
    expect(events[0]?.reason).toContain('restored the previous version');
    expect((await slipway.platform.status(key))!.slots.map((s) => s.releaseId)).not.toContain(run.releaseId);
  });

  it('a version failing its health checks never receives traffic', async () => {
    await open(pipelineWith('{strategy: direct}'));
    expect((await release(v('1.0.0'))).state).toBe('succeeded');
    const url = await endpoint();
    expect(slipway.platform.endpoint(key)).toBe(url);
    const run = await release(v('1.4.0-unhealthy'));
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.message).toMatch(/health/i);
    for (let i = 0; i < 20; i++) expect((await get(url)).version).toBe('1.0.0');
  });

  it('a Slipway restart in the middle of a canary adopts the running processes and finishes the run', async () => {
    await open(pipelineWith('{strategy: canary, steps: [{setWeight: 20}, {pause: 3s}, {analysis: {minRequests: 0}}]}'));
    expect((await release(v('1.0.0'))).state).toBe('succeeded');
    const d = await slipway.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts: { web: v('1.1.0') } });
    await new Promise<void>((resolve) => {
      const on = (ev: { type: string }) => ev.type.endsWith('deploy.waiting') && (slipway.engine.emitter.off('event', on), resolve());
      slipway.engine.emitter.on('event', on);
    });
    const before = slipway.platform.supervisor.list().filter((i) => i.status === 'ready').map((i) => [i.id, i.pid]);
    // Slipway goes away; the processes keep serving.
    await slipway.engine.stop();
    await slipway.platform.close({ leaveRunning: true });
    await slipway.store.close();
    slipway = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), unservedKinds: 'fail' });
    await slipway.addPipelineFile(join(dir, 'slipway.yaml'));
    const adopted = slipway.platform.supervisor.list().filter((i) => i.status === 'ready');
    expect(adopted.map((i) => [i.id, i.pid]).sort()).toEqual(before.sort());
    expect(adopted.every((i) => i.adopted)).toBe(true);
    const run = (await slipway.store.getRun(d.value!.runId!))!.state === 'succeeded' ? (await slipway.store.getRun(d.value!.runId!))! : await finished(d.value!.releaseId);
    expect(run.state).toBe('succeeded');
    const url = await endpoint();
    for (let i = 0; i < 10; i++) expect((await get(url)).version).toBe('1.1.0');
  });

  it('a run failing after its release took traffic rolls back automatically to the warm previous version; post-release hooks restart', async () => {
    await open(
      pipelineWith(
        '{strategy: blue-green}',
        [
          '        - {name: release, kind: release, properties: {keepPrevious: 1m}}',
          '        - {name: restart-web, kind: restart}',
          '        - {name: smoke, kind: shell, properties: {run: \'case "$SLIPWAY_ARTIFACT_WEB" in *1.1.0) exit 1;; esac\'}}',
        ].join('\n'),
      ),
    );
    const good = await release(v('1.0.0'));
    expect(good.state).toBe('succeeded');
    expect(good.tasks.find((t) => t.name === 'restart-web')).toMatchObject({ result: 'pass', message: expect.stringContaining('restarted web/') });
    const url = await endpoint();
    const bad = await release(v('1.1.0'));
    expect(bad.state).toBe('failed');
    // The rollback run follows in the same transaction: wait for it.
    const rollback = (await slipway.store.listRuns({ stage: 'prod' })).find((r) => r.cause === 'rollback') ?? (await finished(good.releaseId));
    const settled = ['succeeded', 'failed'].includes(rollback.state) ? rollback : await finished(good.releaseId);
    expect(settled).toMatchObject({ releaseId: good.releaseId, state: 'succeeded', cause: 'rollback' });
    expect(settled.tasks.map((t) => t.name)).toEqual(['deploy']);
    for (let i = 0; i < 10; i++) expect((await get(url)).version).toBe('1.0.0');
    const ev = (await slipway.store.events({ types: ['sh.slipway.release.rollback'] }))[0]!.event.data as { reason: string; releaseId: string };
    expect(ev).toMatchObject({ releaseId: good.releaseId, reason: expect.stringContaining('automatic: smoke failed') });
    const live = (await slipway.store.live('shop'))[0]!;
    expect(live).toMatchObject({ releaseId: good.releaseId, state: 'succeeded' });
    // The bad version is retired from the stage.
    expect((await slipway.platform.status(key))!.slots.map((s) => s.releaseId)).not.toContain(bad.releaseId);
  });

  it('a dark launch mirrors live traffic to the new version; its failures are caught without a user seeing them', async () => {
    await open(pipelineWith('{strategy: dark, mirror: 1, darkFor: 2s, analysis: {maxErrorRate: 0.05, minRequests: 10}}', '        - {name: release, kind: release}'));
    expect((await release(v('1.0.0'))).state).toBe('succeeded');
    const url = await endpoint();
    const traffic = load(url);
    const run = await release(v('1.3.0-flaky'));
    const seen = await traffic.end();
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.message).toMatch(/analysis failed, traffic restored/);
    expect(seen.every((r) => r.status === 200 && r.version === '1.0.0')).toBe(true);
  });
});
