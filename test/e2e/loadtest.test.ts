/**
 * Load tests and traffic comparison on the local platform: the demo app's versions as real
 * processes behind the router, autocannon driving real HTTP on 127.0.0.1, the engine running
 * the tasks. Levels last 1 s so the file stays short.
 * test-run: alone (the verdicts are latency thresholds: other test files running beside it
 * made a healthy version's 1× level a warning)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import { storeOptionFor } from './support/e2e-store.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const VERSIONS = fileURLToPath(new URL('../../examples/demo-app/versions/', import.meta.url));
const v = (name: string) => join(VERSIONS, name);
const key = { project: 'shop', stage: 'prod', service: 'web' };

let dir: string;
let slipway: Slipway | undefined;
let capture: Server | undefined;

async function open(yaml: string): Promise<Slipway> {
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  slipway = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), unservedKinds: 'fail' });
  await slipway.addPipelineFile(join(dir, 'slipway.yaml'));
  return slipway;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-loadtest-'));
});
afterEach(async () => {
  if (slipway) {
    await slipway.engine.stop();
    await slipway.platform.close();
    await slipway.store.close();
    slipway = undefined;
  }
  if (capture) await new Promise((r) => capture!.close(r));
  capture = undefined;
  await removeDataDir(dir);
});

const pipeline = (tasks: string, stageExtra = '') => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
${stageExtra}      tasks:
${tasks}`;

async function release(s: Slipway, artifact: string): Promise<Run> {
  const d = await s.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts: { web: artifact } });
  const releaseId = d.value!.releaseId!;
  const done = new Promise<Run>((resolve) => {
    const on = (r: Run) => {
      if (r.releaseId !== releaseId) return;
      s.engine.emitter.off('run:finished', on);
      resolve(r);
    };
    s.engine.emitter.on('run:finished', on);
  });
  const existing = await s.store.getRun(d.value!.runId!);
  if (existing && ['succeeded', 'failed', 'aborted'].includes(existing.state)) return existing;
  return done;
}

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

const task = (run: Run, name: string) => run.tasks.find((t) => t.name === name)!;

describe('loadtest on the local platform', () => {
  it('the healthy version passes 1×, 2× and 5×; the overloaded one fails at 5× with the level and the figure named', async () => {
    const s = await open(
      pipeline(`        - {name: deploy, kind: deploy, properties: {strategy: blue-green}}
        - {name: load, kind: loadtest, properties: {baseline: {rps: 10}, levels: [1, 2, 5], duration: 1s, thresholds: {errorRate: 0.01, p99Ms: 500}}}
        - {name: release, kind: release}
`),
    );
    const healthy = await release(s, v('1.1.0'));
    expect(healthy.state, JSON.stringify(healthy.tasks.map((t) => [t.name, t.message]))).toBe('succeeded');
    expect(task(healthy, 'load').message).toMatch(/^passes 3 levels up to 5× \(50 rps\)/);
    const levels = (task(healthy, 'load').data as { levels: { level: number; rps: number; requests: number; result: string }[] }).levels;
    expect(levels.map((l) => [l.level, l.rps, l.result])).toEqual([[1, 10, 'pass'], [2, 20, 'pass'], [5, 50, 'pass']]);
    expect(levels[2]!.requests).toBeGreaterThan(levels[0]!.requests);

    const slow = await release(s, v('1.5.0-overload'));
    expect(slow.state, JSON.stringify(slow.tasks.map((t) => [t.name, t.message, t.data]))).toBe('failed');
    const load = task(slow, 'load');
    expect(load.result).toBe('fail');
    expect(load.message).toMatch(/^fails at 5× \(50 rps\): p99 \d+ ms > 500 ms/);
    const slowLevels = (load.data as { levels: { level: number; result: string; p99Ms: number }[] }).levels;
    // Below 5× it does not fail; near the threshold on a slow machine (CI) its p99 may earn a warning.
    expect(slowLevels.map((l) => [l.level, l.result === 'warning' ? 'pass' : l.result])).toEqual([[1, 'pass'], [2, 'pass'], [5, 'fail']]);
    expect(slowLevels[2]!.p99Ms).toBeGreaterThan(500);
    // The release task never ran: users still get the healthy version.
    expect(task(slow, 'release').state).not.toBe('succeeded');
    const live = (await s.platform.status(key))!.slots.filter((x) => x.weight > 0);
    expect(live.map((x) => x.releaseId)).toEqual([healthy.releaseId]);

    // Each level was reported as it finished, with its figures, in a waiting event of the task.
    const events = await s.store.events({ runId: slow.id });
    const waiting = events.filter((e) => e.event.type.endsWith('load.waiting')).map((e) => e.event.data as { message: string; output: { levels: unknown[] } });
    expect(waiting.map((w) => w.output.levels.length)).toEqual([1, 2]);
    // Its verdict there is pass, or on a slow machine a warning (as above: its p99 at 1× was 79 ms in
    // one CI run, more than 1.5 times the healthy release's, so it regressed).
    expect(waiting[0]!.message).toMatch(/^level 1 of 3 (pass|warning): 1× \(10 rps\): p50 \d+ ms/);
  });

  it('a bad loadtest property fails the load with file:line:col and the field', async () => {
    await writeFile(join(dir, 'slipway.yaml'), pipeline(`        - {name: load, kind: loadtest, properties: {baseline: {rps: 0}, levels: [1, -2], thresholds: {p99: 500}}}\n`));
    slipway = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))) });
    const loading = slipway.addPipelineFile(join(dir, 'slipway.yaml'));
    await expect(loading).rejects.toThrow(/slipway\.yaml:9:\d+.*baseline\.rps is requests per second/s);
    await expect(loading).rejects.toThrow(/levels is a list of 1 to 20 multiples/);
    await expect(loading).rejects.toThrow(/thresholds has no 'p99'; allowed: errorRate, p50Ms, p95Ms, p99Ms, throughput/);
    const badTraffic = pipeline(`        - {name: load, kind: loadtest, properties: {baseline: {rps: 5}}}\n`, `      traffic: {record: {sample: 2, dropHeaders: ['bad header']}}\n`);
    await expect(slipway.addPipelineText(badTraffic, 'slipway.yaml', dir)).rejects.toThrow(/slipway\.yaml:8:\d+: spec\.stages\[0\]\.traffic\.record\.sample: sample is the share of live requests recorded, more than 0 and at most 1, got 2/);
  });
});

describe('recorded traffic', () => {
  it('a load test replays the recorded sample without any configured secret header, cookie or query key', async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    capture = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.end('ok');
    });
    await new Promise<void>((r) => capture!.listen(0, '127.0.0.1', r));
    const port = (capture.address() as AddressInfo).port;
    const s = await open(
      pipeline(
        `        - {name: deploy, kind: deploy, properties: {strategy: direct}}
        - {name: load, kind: loadtest, properties: {url: 'http://127.0.0.1:${port}/', baseline: {rps: 20}, levels: [1], duration: 1s}}
`,
        `      traffic:
        record:
          sample: 1
          max: 50
          headers: [accept, authorization, cookie, x-api-key, x-tenant, x-user-email]
          dropCookies: [session]
          replace: {headers: {x-user-email: someone@example.com}, query: {user: anon}}
`,
      ),
    );
    expect((await release(s, v('1.0.0'))).state).toBe('succeeded');
    const url = (await s.platform.status(key))!.endpoint;
    for (let i = 0; i < 10; i++) {
      const status = await get(`${url}/?page=${i}&token=t0ken&Password=hunter2&user=alice`, {
        accept: 'application/json',
        authorization: 'Bearer s3cret',
        cookie: 'session=abc; theme=dark; slipway-sticky=blue',
        'x-api-key': 'k3y',
        'x-tenant': 'acme',
        'x-user-email': 'alice@example.com',
      });
      expect(status).toBe(200);
    }
    const recorded = s.platform.recorded(key)!;
    expect(recorded.requests).toHaveLength(10);

    seen.length = 0;
    expect((await release(s, v('1.1.0'))).state).toBe('succeeded');
    expect(seen.length).toBeGreaterThan(5);
    const secrets = /s3cret|k3y|t0ken|hunter2|alice|abc/;
    for (const r of seen) {
      expect(r.url).toMatch(/^\/\?page=\d&user=anon$/);
      expect(r.headers['authorization']).toBeUndefined();
      expect(r.headers['x-api-key']).toBeUndefined();
      expect(r.headers['cookie']).toBeUndefined();
      expect(r.headers['x-tenant']).toBe('acme');
      expect(r.headers['x-user-email']).toBe('someone@example.com');
      expect(r.headers['accept']).toBe('application/json');
      expect(JSON.stringify(r)).not.toMatch(secrets);
    }
  });

  it('traffic comparison finds the planted difference (1 in 5 answers 500) between the candidate and the live version', async () => {
    const s = await open(
      pipeline(
        `        - {name: deploy, kind: deploy, properties: {strategy: blue-green}}
        - {name: compare, kind: traffic-compare, properties: {fields: [error], threshold: 0.05}}
        - {name: release, kind: release}
`,
        `      traffic: {record: {sample: 1, max: 40}}
`,
      ),
    );
    const first = await release(s, v('1.0.0'));
    expect(first.state).toBe('succeeded');
    expect(task(first, 'compare').message).toMatch(/nothing to compare/);
    const url = (await s.platform.status(key))!.endpoint;
    for (let i = 0; i < 30; i++) expect(await get(`${url}/?item=${i}`)).toBe(200);

    const flaky = await release(s, v('1.3.0-flaky'));
    expect(flaky.state).toBe('failed');
    const compare = task(flaky, 'compare');
    expect(compare.message).toMatch(/^6 of 30 recorded requests \(20\.0%\) differ between .* and .*, more than 5\.0%: status 6, error 6; e\.g\. GET \/\?item=\d+: status 500 vs 200/);
    expect((compare.data as { differing: number; compared: number }).differing).toBe(6);

    const healthy = await release(s, v('1.1.0'));
    expect(healthy.state).toBe('succeeded');
    expect(task(healthy, 'compare').message).toMatch(/^30 recorded requests answered alike by/);
  });
});
