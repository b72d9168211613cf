/**
 * The canary judge and Argo-style threshold analysis through a real `slipway server` with the
 * built-in local platform: the demo app's versions run as real processes behind the router, the
 * test sends real HTTP load to the service's endpoint, and a person's `continue` / `abort` goes
 * through the real CLI.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const VERSIONS = fileURLToPath(new URL('../../examples/demo-app/versions/', import.meta.url));
const v = (name: string) => join(VERSIONS, name);
const ADMIN = 'slw_e2e-admin-token-canary-judge-0123';

// `judge`: the canary gets half the traffic for 8 s, sampled every 500 ms against the baseline.
// `argo`: one measurement of the canary's error rate; success needs it below 0, failure above 0.5,
// so any real rate (0 for the good version, 0.2 for the flaky one) is Inconclusive: a person decides.
const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: judge
      tasks:
        - name: deploy
          kind: deploy
          properties:
            strategy: canary
            steps:
              - {setWeight: 50}
              - analysis:
                  judge:
                    sampleInterval: 500ms
                    duration: 8s
                    minSamples: 10
                    metrics:
                      - {name: errorRate, direction: increase, critical: true}
                      - {name: meanLatency, direction: increase, allowedIncrease: 3}
    - name: argo
      after: []
      tasks:
        - name: deploy
          kind: deploy
          properties:
            strategy: canary
            steps:
              - {setWeight: 50}
              - {pause: 1s}
              - analysis:
                  metrics:
                    - {name: errorRate, successCondition: 'result < 0', failureCondition: 'result > 0.5'}
    - name: unattended
      after: []
      tasks:
        - name: deploy
          kind: deploy
          timeout: 12s
          properties:
            strategy: canary
            steps:
              - {setWeight: 50}
              - {pause: 1s}
              - analysis:
                  metrics:
                    - {name: errorRate, successCondition: 'result < 0', failureCondition: 'result > 0.5'}
`;

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-canary-judge-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
});
afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  await removeDataDir(dir);
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface ApiTask {
  id: string;
  name: string;
  state: string;
  result: string | null;
  message: string | null;
  waitingFor: string | null;
}
interface ApiRun {
  id: string;
  state: string;
  tasks: ApiTask[];
}

async function trigger(stage: string, artifact: string): Promise<string> {
  const t = await api<{ runId: string }>('POST', '/api/v1/projects/shop/releases', { stage, artifacts: { web: artifact } });
  return t.runId;
}

/** Polls the run (with a deadline) until `done` holds. */
async function until(runId: string, done: (r: ApiRun) => boolean, what: string, timeoutMs = 60_000): Promise<ApiRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api<ApiRun>('GET', `/api/v1/runs/${runId}`);
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not reach ${what} in ${timeoutMs} ms: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
const settled = (runId: string) => until(runId, (r) => ['succeeded', 'failed', 'aborted'].includes(r.state), 'an end');

async function finishedOutput(runId: string): Promise<Record<string, unknown>> {
  const { events } = await api<{ events: { event: { type: string; data: { output?: Record<string, unknown> } } }[] }>('GET', `/api/v1/events?run=${runId}&limit=500`);
  const fin = events.find((e) => e.event.type.endsWith('deploy.finished'));
  return fin?.event.data.output ?? {};
}

async function endpoint(stage: string): Promise<string> {
  const s = await api<{ stages: { name: string; services: { service: string; endpoint: string | null }[] }[] }>('GET', '/api/v1/projects/shop/status');
  return s.stages.find((x) => x.name === stage)!.services[0]!.endpoint!;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
function get(url: string): Promise<{ status: number; version?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
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
    req.end();
  });
}

/** Requests in a loop, a few at a time, until stopped. */
function load(url: string) {
  let stop = false;
  const loops = Array.from({ length: 3 }, async () => {
    while (!stop) await get(url);
  });
  return async () => {
    stop = true;
    await Promise.all(loops);
  };
}

async function versions(url: string, n = 30): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(url);
    out.push(r.version ?? `status ${r.status}`);
  }
  return [...new Set(out)];
}

async function cli(args: string[]) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

type JudgeMetric = { name: string; classification: string; canaryMean: number | null; baselineMean: number | null; pValue: number | null; canaryCount: number };
type Analyses = { step: number; verdict: string; output: { judge?: { verdict: string; services: Record<string, { metrics: JudgeMetric[] }> } } }[];

describe('the canary judge against the baseline slot', () => {
  it('catches the flaky version (the run fails and traffic returns to the baseline), then passes the good one', async () => {
    expect((await settled(await trigger('judge', v('1.0.0')))).state).toBe('succeeded');
    const url = await endpoint('judge');
    const stop = load(url);
    try {
      const flaky = await settled(await trigger('judge', v('1.3.0-flaky')));
      expect(flaky.state).toBe('failed');
      expect(flaky.tasks[0]!.message).toMatch(/^analysis failed, traffic restored to the previous version: judge fail: critical metric failed, score 0: metric errorRate is higher on the canary/);
      const out = await finishedOutput(flaky.id);
      expect(out['rolledBack']).toBe(true);
      const errorRate = (out['analyses'] as Analyses)[0]!.output.judge!.services['web']!.metrics.find((m) => m.name === 'errorRate')!;
      expect(errorRate.classification).toBe('High');
      expect(errorRate.canaryMean).toBeGreaterThan(0.15);
      expect(errorRate.baselineMean).toBe(0);
      expect(errorRate.canaryCount).toBeGreaterThanOrEqual(10);
      expect(errorRate.pValue).toBeLessThan(0.02);
      expect(await versions(url)).toEqual(['1.0.0']);

      const good = await settled(await trigger('judge', v('1.1.0')));
      expect(good.state).toBe('succeeded');
      expect(good.tasks[0]!.message).toMatch(/analysis at step 3: pass \(judge pass: score 100/);
      const passed = (await finishedOutput(good.id))['analyses'] as Analyses;
      expect(passed[0]!.output.judge!.services['web']!.metrics.map((m) => [m.name, m.classification])).toEqual([
        ['errorRate', 'Pass'],
        ['meanLatency', 'Pass'],
      ]);
    } finally {
      await stop();
    }
    expect(await versions(url)).toEqual(['1.1.0']);
  });
});

describe('threshold analysis (Argo semantics)', () => {
  it('an inconclusive measurement pauses the canary until a person continues it (or aborts: rolled back)', async () => {
    expect((await settled(await trigger('argo', v('1.0.0')))).state).toBe('succeeded');
    const url = await endpoint('argo');
    const stop = load(url);
    try {
      const runId = await trigger('argo', v('1.1.0'));
      const waiting = await until(runId, (r) => r.tasks[0]?.state === 'waiting' && r.tasks[0].waitingFor === 'continue|abort', 'a paused canary');
      expect(waiting.state).toBe('waiting');
      expect(waiting.tasks[0]!.message).toMatch(/canary paused at step 4 of 6 for a person: threshold analysis Inconclusive: metric errorRate is Inconclusive \(0 successful, 0 failed, 1 inconclusive, 0 errors; last value 0\)/);
      // Still half and half while it waits.
      expect((await versions(url, 40)).sort()).toEqual(['1.0.0', '1.1.0']);
      const sent = await cli(['signal', waiting.tasks[0]!.id, 'continue', '--reason', 'error rate is fine']);
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      const done = await settled(runId);
      expect(done.state).toBe('succeeded');
      expect(done.tasks[0]!.message).toContain('analysis at step 4: pause, continue by');
      expect(await versions(url)).toEqual(['1.1.0']);

      const second = await trigger('argo', v('1.3.0-flaky'));
      const held = await until(second, (r) => r.tasks[0]?.waitingFor === 'continue|abort', 'a paused canary');
      expect((await cli(['signal', held.tasks[0]!.id, 'abort', '--reason', 'not today'])).code).toBe(0);
      const aborted = await settled(second);
      expect(aborted.state).toBe('failed');
      expect(aborted.tasks[0]!.message).toMatch(/^analysis failed, traffic restored to the previous version: aborted by .*: not today while paused/);
    } finally {
      await stop();
    }
    expect(await versions(url)).toEqual(['1.1.0']);
  });

  it('a paused canary nobody answers fails at its timeout, and the core queues a rollback to the last good release', async () => {
    expect((await settled(await trigger('unattended', v('1.0.0')))).state).toBe('succeeded');
    const url = await endpoint('unattended');
    const stop = load(url);
    try {
      const runId = await trigger('unattended', v('1.1.0'));
      const timedOut = await settled(runId);
      expect(timedOut.state).toBe('failed');
      // It paused for a person first (read from the log afterwards: the pause lasts only until
      // the 12 s timeout, which a poll on a loaded machine could miss).
      const { events } = await api<{ events: { event: { type: string; data: { waitingFor?: string } } }[] }>('GET', `/api/v1/events?run=${runId}&type=sh.slipway.task.deploy.waiting&limit=100`);
      expect(events.map((e) => e.event.data.waitingFor)).toContain('continue|abort');
    } finally {
      await stop();
    }
    // The held task's progress said the release took traffic: the core queues a rollback run.
    const { events } = await api<{ events: { event: { type: string; data: { reason?: string } } }[] }>('GET', '/api/v1/events?type=sh.slipway.release.rollback&limit=100');
    expect(events.map((e) => e.event.data.reason ?? '')).toContainEqual(expect.stringMatching(/^automatic: deploy failed in run .* after release .* took traffic/));
    // The rollback runs the stage's deploy with strategy direct (without the canary's steps): 1.0.0 takes all traffic back.
    await expect.poll(() => versions(url), { timeout: 60_000, interval: 500 }).toEqual(['1.0.0']);
  });
});
