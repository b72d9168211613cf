/**
 * Executors act only on their own tasks, through a real API server: each test replays an
 * attack that worked before claims carried lease tokens (any `execute` token could end
 * an approval, a soak, a running shell task or another executor's task, forge a
 * `.started`, or post a CloudEvent naming another project) and shows it refused with
 * nothing changed, while the rightful way still works.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/index.js';
import { openSlipway } from '../../src/main.js';
import { OUTSIDE, SHOP, eventually, sha256, startHarness, type Harness } from './harness.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const project = (name: string, tasks: string, outsideKinds = '[]') => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ${name}}
spec:
  services: [api]
  outsideKinds: ${outsideKinds}
  stages:
    - name: dev
      tasks:
${tasks}
`;

const SOAK = project('soak', '        - {name: soak, kind: wait, properties: {duration: 1h}}');
/** The command waits for a file the test writes, then exits 3: its real outcome is a failure. */
const SHELL = project('sh', "        - {name: build, kind: shell, properties: {run: 'while [ ! -e release-me ]; do sleep 0.05; done; exit 3'}}");
const PERF = project('perf', '        - {name: load, kind: jmeter}', '[jmeter]');

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ projects: [SHOP, OUTSIDE, SOAK, SHELL, PERF] });
});
afterEach(() => h.close());

interface Claimed {
  task: { id: string; kind: string };
  run: { id: string; project: string; stage: string };
  leaseToken: string;
  leaseExpiresAt: number;
}

const trigger = async (p: string, artifacts: Record<string, string> = { api: 'api:1' }) => (await h.call('POST', `/api/v1/projects/${p}/releases`, { token: h.tokens.trigger, body: { artifacts } })).json() as { runId: string };
const run = (id: string) => h.slipway.store.getRun(id);
const taskOf = async (runId: string, name: string) => (await run(runId))!.tasks.find((t) => t.name === name)!;
const claim = async (kinds: string[], executor: string, token = h.tokens.execute) => {
  const res = await h.call('POST', '/api/v1/tasks/claim', { token, body: { kinds, executor, waitMs: 5000, leaseMs: 30_000 } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, claimed: res.json() as Claimed };
};
const finish = (taskId: string, body: object, token = h.tokens.execute) => h.call('POST', `/api/v1/tasks/${taskId}/finish`, { token, body: { result: 'pass', ...body } });
const heartbeat = (taskId: string, body: object, token = h.tokens.execute) => h.call('POST', `/api/v1/tasks/${taskId}/heartbeat`, { token, body });
const cloudEvent = (event: Record<string, unknown>, token = h.tokens.execute) =>
  h.call('POST', '/api/v1/events', { token, body: JSON.stringify({ specversion: '1.0', source: 'urn:ci', ...event }), headers: { 'content-type': 'application/cloudevents+json' } });
const addToken = async (name: string, scopes: string[]) => {
  const token = `slw_${name}-0123456789abcdef0123456789abcdef`;
  await h.slipway.store.addToken({ id: `tok-${name}`, name, hash: sha256(token), scopes, createdAt: Date.now() });
  return token;
};

describe('tasks Slipway runs itself cannot be ended by an executor token', () => {
  it('an execute token cannot pass a waiting approval (403); the approval still goes through /approve', async () => {
    await trigger('shop', { frontend: 'f:1' });
    // Listed once started; `waiting` (and the run's `waiting`) follow in the executor's next step, so
    // the log is still only when the task waits (on PostgreSQL those events landed after a bare listing).
    const taskId = await eventually(async () => {
      const { approvals } = (await h.call('GET', '/api/v1/approvals')).json() as { approvals: { taskId: string }[] };
      const id = approvals[0]?.taskId;
      if (id === undefined) return undefined;
      return (await taskOf(id.split('.').slice(0, -2).join('.'), 'approval')).state === 'waiting' ? id : undefined;
    });
    const before = await h.slipway.store.lastEventSeq();
    const refused = await finish(taskId, {});
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'BUILTIN_TASK', field: 'taskid' });
    expect(refused.json().message).toMatch(/approve or reject/);
    const asEvent = await cloudEvent({ id: 'forged-approval', type: 'sh.slipway.task.approval.finished', taskid: taskId, data: { result: 'pass' } });
    expect(asEvent.statusCode).toBe(403);
    expect(asEvent.json()).toMatchObject({ code: 'BUILTIN_TASK', field: 'taskid' });
    expect((await heartbeat(taskId, { leaseMs: 86_400_000 })).statusCode).toBe(403);
    // Even the admin token, which passes every route, is not an executor of an approval.
    expect((await finish(taskId, {}, h.tokens.admin)).statusCode).toBe(403);
    expect(await h.slipway.store.lastEventSeq()).toBe(before);
    const runId = taskId.split('.').slice(0, -2).join('.');
    expect((await taskOf(runId, 'approval')).state).toBe('waiting');

    expect((await h.call('POST', `/api/v1/tasks/${taskId}/approve`, { token: h.tokens['approve:*'], body: {} })).statusCode).toBe(200);
    await eventually(async () => (await run(runId))?.state === 'succeeded' || undefined);
  });

  it('an execute token cannot end a soak (403); its stop signal still does', async () => {
    const { runId } = await trigger('soak');
    await eventually(async () => (await taskOf(runId, 'soak')).state === 'waiting' || undefined);
    const taskId = `${runId}.soak.1`;
    const refused = await finish(taskId, { result: 'pass' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'BUILTIN_TASK', field: 'taskid' });
    expect(refused.json().message).toMatch(/stop, skip/);
    expect((await taskOf(runId, 'soak')).state).toBe('waiting');

    const stopped = await h.call('POST', `/api/v1/tasks/${taskId}/signal`, { token: h.tokens.trigger, body: { signal: 'stop', payload: { reason: 'enough' } } });
    expect(stopped.statusCode).toBe(200);
    await eventually(async () => (await run(runId))?.state === 'failed' || undefined);
    expect((await taskOf(runId, 'soak')).message).toMatch(/soak stopped by token:t-trigger: enough/);
  });

  it('an execute token cannot pass a running shell task (403): the command\'s real exit code decides', async () => {
    const { runId } = await trigger('sh');
    await eventually(async () => (await taskOf(runId, 'build')).state === 'started' || undefined);
    const taskId = `${runId}.build.1`;
    const refused = await finish(taskId, { result: 'pass', message: 'trust me' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'BUILTIN_TASK', field: 'taskid' });
    const started = await cloudEvent({ id: 'forged-start', type: 'sh.slipway.task.build.started', taskid: taskId });
    expect(started.statusCode).toBe(403);
    expect((await taskOf(runId, 'build')).state).toBe('started');

    await writeFile(join(h.dir, 'release-me'), '');
    await eventually(async () => (await run(runId))?.state === 'failed' || undefined);
    const build = await taskOf(runId, 'build');
    expect(build).toMatchObject({ result: 'fail', message: 'command failed with exit code 3' });
  });
});

describe('a claimed task belongs to the executor that claimed it', () => {
  it('executor B cannot finish or heartbeat a task executor A claimed (409 NOT_CLAIM_HOLDER); A still can', async () => {
    const { runId } = await trigger('ext');
    const a = (await claim(['pytest'], 'ci-a')).claimed;
    expect(a.task.id).toBe(`${runId}.test.1`);
    expect(a.leaseToken).toMatch(/^sll_/);
    const before = await h.slipway.store.lastEventSeq();
    const leaseBefore = (await h.slipway.store.dueTimers(Number.MAX_SAFE_INTEGER, 100)).find((t) => t.id.endsWith(':lease'))!.dueAt;

    const attempts: [string, Promise<{ statusCode: number; json(): unknown }>][] = [
      ['no claim at all', finish(a.task.id, { result: 'fail' })],
      ['its own name, no token', finish(a.task.id, { result: 'fail', executor: 'ci-b' })],
      ["A's name, no token", finish(a.task.id, { result: 'fail', executor: 'ci-a' })],
      ["A's name, a made-up token", finish(a.task.id, { result: 'fail', executor: 'ci-a', leaseToken: 'sll_guessed' })],
      ["A's token under another name", finish(a.task.id, { result: 'fail', executor: 'ci-b', leaseToken: a.leaseToken })],
      ['a 24 h heartbeat', heartbeat(a.task.id, { leaseMs: 86_400_000, executor: 'ci-b' })],
      ['a 24 h heartbeat with a made-up token', heartbeat(a.task.id, { leaseMs: 86_400_000, executor: 'ci-a', leaseToken: 'sll_guessed' })],
      ['a .finished event', cloudEvent({ id: 'b-1', type: 'sh.slipway.task.test.finished', taskid: a.task.id, executor: 'ci-b', data: { result: 'fail' } })],
    ];
    for (const [what, req] of attempts) {
      const res = await req;
      expect(res.statusCode, what).toBe(409);
      expect(res.json(), what).toMatchObject({ code: 'NOT_CLAIM_HOLDER', field: 'taskid' });
    }
    expect(await h.slipway.store.lastEventSeq()).toBe(before);
    expect((await h.slipway.store.dueTimers(Number.MAX_SAFE_INTEGER, 100)).find((t) => t.id.endsWith(':lease'))!.dueAt).toBe(leaseBefore);
    expect((await taskOf(runId, 'test')).state).toBe('started');

    const hb = await heartbeat(a.task.id, { leaseMs: 60_000, executor: 'ci-a', leaseToken: a.leaseToken });
    expect(hb.statusCode).toBe(200);
    const done = await finish(a.task.id, { result: 'pass', executor: 'ci-a', leaseToken: a.leaseToken });
    expect(done.json()).toStrictEqual({ taskId: a.task.id, applied: true });
    await eventually(async () => (await run(runId))?.state === 'succeeded' || undefined);
  });

  it('the log keeps a hash of the lease token, and the holder is known again after a restart', async () => {
    await h.close();
    const dir = await mkdtemp(join(tmpdir(), 'slipway-claims-restart-'));
    const token = 'slw_restart-executor-0123456789abcdef0123456789';
    const serve = async () => {
      const slipway = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)) });
      await slipway.addPipelineText(OUTSIDE, 'test.yaml', dir);
      const app = await buildServer({ slipway, openRead: false });
      await app.ready();
      const call = (url: string, body: object) => app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      return { slipway, app, call, close: async () => (await app.close(), await slipway.close()) };
    };
    try {
      const first = await serve();
      await first.slipway.store.addToken({ id: 'tok-x', name: 'x', hash: sha256(token), scopes: ['execute', 'trigger'], createdAt: Date.now() });
      const { runId } = (await first.call('/api/v1/projects/ext/releases', { artifacts: { api: 'api:1' } })).json() as { runId: string };
      const a = (await first.call('/api/v1/tasks/claim', { kinds: ['pytest'], executor: 'ci-a', waitMs: 5000 })).json() as Claimed;
      const started = (await first.slipway.store.events({ runId, types: ['sh.slipway.task.test.started'] }))[0]!.event;
      expect(started.data).toMatchObject({ executor: 'ci-a', leaseHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(JSON.stringify(await first.slipway.store.events({}))).not.toContain(a.leaseToken);
      expect(JSON.stringify(await first.slipway.store.getRun(runId))).not.toContain(a.leaseToken);
      await first.close();

      const second = await serve();
      try {
        const other = await second.call(`/api/v1/tasks/${a.task.id}/finish`, { result: 'pass', executor: 'ci-b' });
        expect(other.json()).toMatchObject({ code: 'NOT_CLAIM_HOLDER', field: 'taskid' });
        const done = await second.call(`/api/v1/tasks/${a.task.id}/finish`, { result: 'pass', executor: 'ci-a', leaseToken: a.leaseToken });
        expect(done.json()).toStrictEqual({ taskId: a.task.id, applied: true });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a forged .started for an unclaimed task is refused and the task stays claimable', async () => {
    const { runId } = await trigger('ext');
    await eventually(() => h.slipway.engine.backlog()['pytest'] === 1 || undefined);
    const taskId = `${runId}.test.1`;
    for (const extra of [{}, { executor: 'mallory' }, { executor: 'mallory', leasetoken: 'sll_guessed' }]) {
      const forged = await cloudEvent({ id: `forged-${Object.keys(extra).length}`, type: 'sh.slipway.task.test.started', taskid: taskId, ...extra });
      expect(forged.statusCode).toBe(409);
      expect(forged.json()).toMatchObject({ code: 'NOT_CLAIM_HOLDER', field: 'taskid' });
      expect(forged.json().message).toMatch(/not claimed/);
    }
    expect((await taskOf(runId, 'test')).state).toBe('triggered');
    const got = await claim(['pytest'], 'ci-a');
    expect(got.status).toBe(200);
    expect(got.claimed.task.id).toBe(taskId);
  });

  it('a CloudEvent naming another project, stage or run than its task is refused, naming the attribute', async () => {
    await h.slipway.addPipelineText(OUTSIDE.replace('name: ext', 'name: other'), 'other.yaml', h.dir);
    const { runId } = await trigger('ext');
    const a = (await claim(['pytest'], 'ci-a')).claimed;
    const mine = { taskid: a.task.id, executor: 'ci-a', leasetoken: a.leaseToken };
    const before = await h.slipway.store.lastEventSeq();
    const cases: [Record<string, unknown>, string][] = [
      [{ project: 'other' }, 'project'],
      [{ source: '/projects/other' }, 'source'],
      [{ source: 'https://slipway.example/projects/other/stages/dev' }, 'source'],
      [{ source: '/projects/ext/stages/production' }, 'source'],
      [{ stage: 'production' }, 'stage'],
      [{ runid: 'run-someone-else' }, 'runid'],
      [{ data: { result: 'pass', project: 'other' } }, 'data.project'],
    ];
    for (const [attrs, field] of cases) {
      const res = await cloudEvent({ id: `x-${field}`, type: 'sh.slipway.task.test.finished', data: { result: 'pass' }, ...mine, ...attrs });
      expect(res.statusCode, JSON.stringify(attrs)).toBe(400);
      expect(res.json(), JSON.stringify(attrs)).toMatchObject({ code: 'INVALID_INPUT', field });
    }
    expect(await h.slipway.store.lastEventSeq()).toBe(before);
    // The same event with its own project, stage and run is applied.
    const ok = await cloudEvent({ id: 'ok', type: 'sh.slipway.task.test.finished', source: '/projects/ext/stages/dev', project: 'ext', stage: 'dev', runid: runId, data: { result: 'pass' }, ...mine });
    expect(ok.json()).toStrictEqual({ id: 'ok', applied: true });
  });
});

describe('execute:<kind> scopes', () => {
  it('a token with execute:<kind> may be created, claims only that kind and reports only on it', async () => {
    const created = await h.call('POST', '/api/v1/tokens', { body: { name: 'perf-runner', scopes: ['execute:jmeter'] } });
    expect(created.statusCode).toBe(201);
    const jmeter = (created.json() as { token: string }).token;

    const refused = await claim(['pytest'], 'perf-1', jmeter);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', field: 'kinds' });
    expect(String(refused.body['message'])).toContain("'pytest'");

    const { runId: perfRun } = await trigger('perf');
    const mine = await claim(['jmeter'], 'perf-1', jmeter);
    expect(mine.status).toBe(200);
    expect(mine.claimed.task.kind).toBe('jmeter');

    // A pytest task claimed by a full executor: the jmeter token cannot touch it, even holding that claim.
    const { runId: extRun } = await trigger('ext');
    const other = (await claim(['pytest'], 'ci-a')).claimed;
    const touch = await finish(other.task.id, { executor: 'ci-a', leaseToken: other.leaseToken }, jmeter);
    expect(touch.statusCode).toBe(403);
    expect(touch.json()).toMatchObject({ code: 'FORBIDDEN', field: 'taskid' });
    expect((await taskOf(extRun, 'test')).state).toBe('started');

    const done = await finish(mine.claimed.task.id, { executor: 'perf-1', leaseToken: mine.claimed.leaseToken }, jmeter);
    expect(done.json()).toStrictEqual({ taskId: mine.claimed.task.id, applied: true });
    await eventually(async () => (await run(perfRun))?.state === 'succeeded' || undefined);
  });

  it('plain execute still serves every kind, and a token with two kinds serves both', async () => {
    const both = await addToken('two-kinds', ['execute:jmeter', 'execute:pytest']);
    await trigger('perf');
    await trigger('ext');
    const got = [(await claim(['jmeter', 'pytest'], 'x', both)).claimed.task.kind, (await claim(['jmeter', 'pytest'], 'y')).claimed.task.kind].sort();
    expect(got).toEqual(['jmeter', 'pytest']);
  });
});
