/**
 * Pull-request environments on the real local platform: the demo app's versions as real
 * processes behind their own router, a forge stand-in on 127.0.0.1 that records the commit
 * statuses it is sent, and a fake clock for the idle TTL. An environment is created and
 * answers over HTTP, is renewed by a deploy, and is torn down by close, by TTL, and by a TTL
 * that ran out while Slipway was down; each time its processes are gone (their pids checked)
 * and its port refuses connections.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/core/index.js';
import { FakeClock } from '../../../src/engine/index.js';
import type { Slipway } from '../../../src/main.js';
import { openSlipway } from '../../../src/main.js';
import type { PullRequestEvent } from '../../../src/triggers/index.js';
import { processAlive, waitUntil } from '../../executors/helpers.js';
import { storeOptionFor } from '../../e2e/support/e2e-store.js';
import { removeDataDir } from '../../support/remove-data-dir.js';

const VERSIONS = fileURLToPath(new URL('../../../examples/demo-app/versions/', import.meta.url));
const HOUR = 3_600_000;
const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);

let dir: string;
let clock: FakeClock;
let forge: Server;
let forgeUrl: string;
const statuses: { path: string; auth: string | undefined; body: Record<string, unknown> }[] = [];
const opened: Slipway[] = [];

const pipeline = () => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  pullRequests:
    template: dev
    ttl: 1h
    forge: {kind: github, api: '${forgeUrl}', repository: acme/shop, token: '\${secret:FORGE_TOKEN}'}
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
    - name: production
      tasks:
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
`;

async function open(): Promise<Slipway> {
  const sw = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), clock, unservedKinds: 'fail', env: { SLIPWAY_SECRET_FORGE_TOKEN: 'forge-token-123' } });
  opened.push(sw);
  await sw.addPipelineFile(join(dir, 'slipway.yaml'));
  return sw;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-pr-'));
  clock = new FakeClock(Date.UTC(2026, 11, 3, 8, 0));
  statuses.length = 0;
  forge = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      statuses.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => forge.listen(0, '127.0.0.1', r));
  forgeUrl = `http://127.0.0.1:${(forge.address() as AddressInfo).port}`;
  await writeFile(join(dir, 'slipway.yaml'), pipeline());
});

afterEach(async () => {
  for (const sw of opened.splice(0)) {
    await sw.engine.stop();
    sw.pullRequests.stop();
    await sw.platform.close();
    await sw.store.close();
  }
  await new Promise((r) => forge.close(r));
  await removeDataDir(dir);
});

const event = (action: PullRequestEvent['action'], number: number, version: string, commit = COMMIT_A): PullRequestEvent => ({
  project: 'shop',
  number,
  action,
  commit,
  branch: `feature-${number}`,
  artifacts: { web: join(VERSIONS, version) },
  title: `PR ${number}`,
  source: 'api',
  at: clock.now(),
});

function runFinished(sw: Slipway, runId: string | undefined): Promise<Run> {
  return new Promise((resolve) => {
    const on = (r: Run) => {
      if (r.id !== runId) return;
      sw.engine.emitter.off('run:finished', on);
      resolve(r);
    };
    sw.engine.emitter.on('run:finished', on);
  });
}

async function deploy(sw: Slipway, e: PullRequestEvent): Promise<Run> {
  const result = await sw.pullRequests.pullRequest(e);
  const run = sw.engine.view.runs.get(result.runId ?? '');
  if (run && ['succeeded', 'failed', 'aborted'].includes(run.state)) return run;
  return runFinished(sw, result.runId);
}

async function version(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const pidsOf = (sw: Slipway, n: number): number[] =>
  sw.platform.supervisor
    .list()
    .filter((i) => i.id.startsWith(`shop/pr-${n}/`))
    .map((i) => i.pid)
    .filter((p): p is number => p !== undefined);

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

describe('pull-request environments', () => {
  it('an opened pull request gets pr-<n> from the template, reachable over HTTP, reported to the forge; closing it stops every process', async () => {
    const sw = await open();
    const run = await deploy(sw, event('opened', 7, '1.0.0'));
    expect(run).toMatchObject({ stage: 'pr-7', state: 'succeeded' });
    const [view] = sw.pullRequests.list('shop');
    expect(view).toMatchObject({ number: 7, stage: 'pr-7', state: 'open', kept: false, expiresAt: clock.now() + HOUR });
    const url = view!.urls['web']!;
    expect(await version(url)).toBe('1.0.0');
    // The environment has its own router: dev (the template) has none.
    expect(sw.platform.endpoint({ project: 'shop', stage: 'dev', service: 'web' })).toBeUndefined();
    await waitUntil(() => statuses.some((s) => s.body['state'] === 'success'), 10_000, 'the ready status');
    expect(statuses.map((s) => s.body['state'])).toEqual(['pending', 'success']);
    expect(statuses[1]).toMatchObject({ path: `/repos/acme/shop/statuses/${COMMIT_A}`, auth: 'Bearer forge-token-123', body: { context: 'slipway/pr-7', target_url: url } });

    const pids = pidsOf(sw, 7);
    expect(pids.length).toBeGreaterThan(0);
    await sw.pullRequests.pullRequest(event('closed', 7, '1.0.0'));
    await waitUntil(() => pids.every((p) => !processAlive(p)), 15_000, 'the environment processes to exit');
    expect(sw.pullRequests.list('shop')[0]).toMatchObject({ state: 'closed', closedBecause: 'closed', urls: {} });
    expect(await refused(url)).toBe(true);
    expect(sw.platform.supervisor.list().filter((i) => i.id.startsWith('shop/pr-7/') && i.status !== 'stopped')).toEqual([]);
  }, 60_000);

  it('each deploy renews the idle TTL; when it runs out the environment is torn down', async () => {
    const sw = await open();
    await deploy(sw, event('opened', 8, '1.0.0'));
    const url = sw.pullRequests.get('shop', 8).urls['web']!;
    clock.advance(40 * 60_000);
    const update = await deploy(sw, event('updated', 8, '1.1.0', COMMIT_B));
    expect(update.state).toBe('succeeded');
    expect(await version(url)).toBe('1.1.0');
    expect(sw.pullRequests.get('shop', 8)).toMatchObject({ commit: COMMIT_B, expiresAt: clock.now() + HOUR });
    const pids = pidsOf(sw, 8);
    // Past the first expiry, within the renewed one: still there.
    clock.advance(40 * 60_000);
    expect(sw.pullRequests.get('shop', 8).state).toBe('open');
    expect(await version(url)).toBe('1.1.0');
    clock.advance(21 * 60_000);
    await waitUntil(() => sw.pullRequests.get('shop', 8).state === 'closed', 15_000, 'the TTL teardown');
    expect(sw.pullRequests.get('shop', 8).closedBecause).toBe('expired (idle ttl)');
    await waitUntil(() => pids.every((p) => !processAlive(p)), 15_000, 'the environment processes to exit');
    expect(await refused(url)).toBe(true);
  }, 60_000);

  it('a redelivered event for the deployed head deploys nothing and only renews', async () => {
    const sw = await open();
    const first = await deploy(sw, event('opened', 9, '1.0.0'));
    clock.advance(10 * 60_000);
    const again = await sw.pullRequests.pullRequest(event('updated', 9, '1.0.0'));
    expect(again.runId).toBe(first.id);
    expect(sw.pullRequests.get('shop', 9).expiresAt).toBe(clock.now() + HOUR);
  }, 60_000);

  it('a kept environment outlives its TTL; an expiry that passed while Slipway was down tears it down at start', async () => {
    const sw = await open();
    await deploy(sw, event('opened', 10, '1.0.0'));
    await deploy(sw, event('opened', 11, '1.0.0'));
    await sw.pullRequests.keep('shop', 10, true);
    clock.advance(30 * 60_000);
    const pids11 = pidsOf(sw, 11);
    // Down: the processes keep running, the clock moves on past pr-11's expiry.
    await sw.close();
    opened.splice(opened.indexOf(sw), 1);
    expect(pids11.every((p) => processAlive(p))).toBe(true);
    clock.advance(2 * HOUR);
    const back = await open();
    expect(back.pullRequests.get('shop', 11)).toMatchObject({ state: 'closed', closedBecause: 'expired (idle ttl)' });
    await waitUntil(() => pids11.every((p) => !processAlive(p)), 15_000, 'the expired environment processes to exit');
    const kept = back.pullRequests.get('shop', 10);
    expect(kept).toMatchObject({ state: 'open', kept: true });
    expect(kept.expiresAt).toBeUndefined();
    expect(await version(kept.urls['web']!)).toBe('1.0.0');
    await back.pullRequests.close('shop', 10);
  }, 90_000);

  it('a process a late deploy left behind a closed environment is retired at the next start', async () => {
    const sw = await open();
    await deploy(sw, event('opened', 13, '1.0.0'));
    await sw.pullRequests.close('shop', 13);
    // As if a deploy aborted by the close had finished starting its process afterwards.
    const key = { project: 'shop', stage: 'pr-13', service: 'web' };
    await sw.platform.deploy(key, 'blue', { releaseId: 'rel-late', artifact: join(VERSIONS, '1.0.0'), baseDir: dir });
    const late = pidsOf(sw, 13).filter((p) => processAlive(p));
    expect(late).toHaveLength(1);
    await sw.close();
    opened.splice(opened.indexOf(sw), 1);
    const back = await open();
    await waitUntil(() => late.every((p) => !processAlive(p)), 15_000, 'the late process to exit');
    expect(back.platform.endpoint(key)).toBeUndefined();
  }, 60_000);

  it('a pull request reported before its artifacts waits for them: listed, nothing deployed, closed like any other', async () => {
    const sw = await open();
    expect(await sw.pullRequests.pullRequest({ ...event('opened', 14, '1.0.0'), artifacts: {} })).toEqual({ stage: 'pr-14' });
    expect(sw.pullRequests.get('shop', 14)).toMatchObject({ state: 'open', artifacts: {}, urls: {}, expiresAt: clock.now() + HOUR });
    expect(pidsOf(sw, 14)).toEqual([]);
    const run = await deploy(sw, event('updated', 14, '1.0.0'));
    expect(run.state).toBe('succeeded');
    expect(await version(sw.pullRequests.get('shop', 14).urls['web']!)).toBe('1.0.0');
    await sw.pullRequests.pullRequest({ ...event('closed', 14, '1.0.0'), merged: true });
    expect(sw.pullRequests.get('shop', 14)).toMatchObject({ state: 'closed', closedBecause: 'merged' });
  }, 60_000);

  it('refuses a project without pullRequests and keep of an unknown pull request', async () => {
    const sw = await open();
    await expect(sw.pullRequests.pullRequest({ ...event('opened', 12, '1.0.0'), project: 'nope' })).rejects.toMatchObject({ code: 'UNKNOWN_PROJECT' });
    await expect(sw.pullRequests.keep('shop', 99, true)).rejects.toMatchObject({ code: 'UNKNOWN_PULL_REQUEST' });
  });
});
