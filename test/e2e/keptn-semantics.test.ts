/**
 * Keptn's semantics through the real server process and the real CLI (issue 10, "Show"):
 * an approval after a `warning` evaluation waits for a person; a rollback after a failed
 * delivery exits 1 from `trigger --wait` and `watch`; a remediation that triggers itself
 * stops at its limit with an event saying why. The outside tasks are answered by a small
 * executor in this file that claims and finishes them over Slipway's HTTP API.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-keptn-semantics-0123456789abcdef';
const PROJECT = 'sockshop';

// staging's `test` stands in for its evaluation (its result is what production's approval sees).
const SHIPYARD = `apiVersion: "spec.keptn.sh/0.2.2"
kind: "Shipyard"
metadata: {name: "sockshop"}
spec:
  stages:
    - name: "staging"
      sequences:
        - name: "delivery"
          tasks:
            - name: "deployment"
            - name: "test"
    - name: "production"
      sequences:
        - name: "delivery"
          triggeredOn:
            - event: "staging.delivery.finished"
          tasks:
            - name: "approval"
              properties: {pass: "automatic", warning: "manual"}
            - name: "deployment"
            - name: "test"
        - name: "rollback"
          triggeredOn:
            - event: "production.delivery.finished"
              selector: {match: {result: "fail"}}
          tasks:
            - name: "rollback"
        - name: "remediation"
          triggeredOn:
            - event: "production.remediation.finished"
              selector: {match: {result: "fail"}}
          tasks:
            - name: "action"
        - name: "hotfix"
          tasks:
            - name: "get-action"
              triggeredAfter: "10m"
`;

/** What the executor answers, by `stage/task` and the service's artifact (`carts:bad` fails production's test). */
function resultFor(stage: string, task: string, artifacts: Record<string, string>): 'pass' | 'warning' | 'fail' {
  const artifact = Object.values(artifacts)[0] ?? '';
  if (task === 'test' && stage === 'staging' && artifact.endsWith(':warn')) return 'warning';
  if (task === 'test' && stage === 'production' && artifact.endsWith(':bad')) return 'fail';
  if (task === 'action') return 'fail';
  return 'pass';
}

let dir: string;
let server: ServerProcess;
const stop = new AbortController();
let executorDone: Promise<void>;

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: stop.signal,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

interface Claim {
  task: { id: string; name: string };
  run: { stage: string; artifacts: Record<string, string> };
  leaseToken: string;
}

/** A Keptn-style outside executor: claims the shipyard's tasks and finishes them with scripted results. */
async function executor(): Promise<void> {
  const kinds = ['deployment', 'test', 'rollback', 'action', 'get-action'];
  while (!stop.signal.aborted) {
    let claim: { status: number; body: Claim | null };
    try {
      claim = await api<Claim | null>('POST', '/api/v1/tasks/claim', { kinds, executor: 'e2e-keptn', waitMs: 1000, leaseMs: 30_000 });
    } catch {
      return;
    }
    if (claim.status !== 200 || !claim.body) continue;
    const { task, run, leaseToken } = claim.body;
    const result = resultFor(run.stage, task.name, run.artifacts);
    await api('POST', `/api/v1/tasks/${encodeURIComponent(task.id)}/finish`, { result, message: `${task.name} ${result}`, executor: 'e2e-keptn', leaseToken });
  }
}

async function cli(args: string[]) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr(), out: child.stdout() + child.stderr() };
}

interface ApiRun {
  id: string;
  stage: string;
  sequence: string;
  state: string;
  result: string | null;
  carriedResult?: string | null;
  tasks: { id: string; name: string; state: string; message: string | null; waitUntil: number | null }[];
}

async function runsOf(releaseId: string): Promise<ApiRun[]> {
  return (await api<{ runs: ApiRun[] }>('GET', `/api/v1/runs?release=${releaseId}&limit=100`)).body.runs;
}

/** Polls (with a deadline) until `pick` finds something in the release's runs. */
async function until<T>(releaseId: string, what: string, pick: (runs: ApiRun[]) => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await runsOf(releaseId);
    const got = pick(runs);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; runs: ${JSON.stringify(runs.map((r) => [r.stage, r.sequence, r.state, r.result]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-semantics-'));
  await writeFile(join(dir, 'shipyard.yaml'), SHIPYARD);
  server = await startServerProcess(['shipyard.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
  executorDone = executor();
}, 60_000);

afterAll(async () => {
  stop.abort();
  await executorDone;
  const code = await server.stop();
  expect(code, `the server's stderr:\n${server.stderr().slice(-3000)}`).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

const releaseOf = (out: string): string => /release (rel-[0-9a-f]+)/.exec(out)?.[1] ?? '';

describe('Keptn semantics through the server and the CLI', () => {
  it("production's approval judges staging's carried result: a warning waits for a person, a pass goes on", async () => {
    const warn = await cli(['trigger', '--project', PROJECT, '--service', 'cart-a', '--artifact', 'cart-a:warn']);
    expect(warn.code, warn.out).toBe(0);
    const warnRelease = releaseOf(warn.out);
    const approval = await until(warnRelease, 'the production approval to wait', (runs) => {
      const prod = runs.find((r) => r.stage === 'production' && r.sequence === 'delivery');
      return prod?.state === 'waiting' ? prod : undefined;
    });
    expect(approval.carriedResult).toBe('warning');
    expect(approval.tasks[0]).toMatchObject({ name: 'approval', state: 'waiting', message: 'waiting for manual approval (result so far: warning)' });

    const ok = await cli(['trigger', '--project', PROJECT, '--service', 'cart-b', '--artifact', 'cart-b:1', '--wait']);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('passed: staging, production');
    const prod = (await runsOf(releaseOf(ok.out))).find((r) => r.stage === 'production')!;
    expect(prod.tasks[0]).toMatchObject({ name: 'approval', message: 'approved automatically (result so far: pass)' });

    // A person answers the waiting one; it goes on.
    const yes = await api('POST', `/api/v1/tasks/${encodeURIComponent(approval.tasks[0]!.id)}/approve`, {});
    expect(yes.status, JSON.stringify(yes.body)).toBe(200);
    await until(warnRelease, 'production to finish', (runs) => runs.find((r) => r.stage === 'production' && r.state === 'succeeded'));
  });

  it('a rollback after a failed delivery: trigger --wait and watch exit 1 and say "rolled back"', async () => {
    const t = await cli(['trigger', '--project', PROJECT, '--service', 'carts', '--artifact', 'carts:bad', '--wait']);
    expect(t.code, t.out).toBe(1);
    expect(t.out).toContain('failed in production (test: test fail), rolled back; passed: staging');
    const releaseId = releaseOf(t.out);
    const runs = await runsOf(releaseId);
    expect(runs.find((r) => r.sequence === 'rollback')).toMatchObject({ state: 'succeeded', result: 'pass', carriedResult: 'fail' });

    const w = await cli(['watch', releaseId, '--project', PROJECT]);
    expect(w.code, w.out).toBe(1);
    expect(w.out).toContain('rolled back');
  });

  it('a task waiting on triggeredAfter shows when it is due, and `slipway signal TASK skip` triggers it now', async () => {
    const before = Date.now();
    const t = await cli(['trigger', '--project', PROJECT, '--stage', 'production', '--sequence', 'hotfix', '--service', 'payments', '--artifact', 'payments:1']);
    expect(t.code, t.out).toBe(0);
    const releaseId = releaseOf(t.out);
    const run = await until(releaseId, 'get-action to wait for its delay', (runs) => (runs[0]?.tasks[0]?.state === 'scheduled' ? runs[0] : undefined));
    const task = run.tasks[0]!;
    expect(task.waitUntil).toBeGreaterThanOrEqual(before + 600_000);

    const shown = await cli(['run', run.id]);
    expect(shown.code, shown.out).toBe(0);
    expect(shown.out).toContain(`get-action is due at ${new Date(task.waitUntil!).toISOString()}; trigger it now with: slipway signal ${task.id} skip`);

    const skip = await cli(['signal', task.id, 'skip']);
    expect(skip.code, skip.out).toBe(0);
    const done = await until(releaseId, 'the hotfix run to finish', (runs) => (runs[0]?.state === 'succeeded' ? runs[0] : undefined));
    expect(done.tasks[0]).toMatchObject({ state: 'finished', waitUntil: null, message: 'get-action pass' });
  });

  it('a remediation that triggers itself stops at maxRemediationLoops (3), with an event saying why', async () => {
    const t = await cli(['trigger', '--project', PROJECT, '--stage', 'production', '--sequence', 'remediation', '--service', 'orders', '--artifact', 'orders:1', '--wait']);
    expect(t.code, t.out).toBe(1);
    expect(t.out).toContain('maxRemediationLoops allows 3');
    const releaseId = releaseOf(t.out);
    const runs = (await runsOf(releaseId)).filter((r) => r.sequence === 'remediation');
    expect(runs.map((r) => r.state)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const events = await api<{ events: { event: { type: string; data: Record<string, unknown> } }[] }>('GET', `/api/v1/events?project=${PROJECT}&type=sh.slipway.run.loop-stopped&limit=1000`);
    const stopped = events.body.events.filter((e) => e.event.type === 'sh.slipway.run.loop-stopped' && e.event.data['releaseId'] === releaseId);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.event.data).toMatchObject({ stage: 'production', sequence: 'remediation', limit: 3, loops: 3 });
  });
});
