/**
 * Outside executors over real HTTP: pull (claim, heartbeat, finish) and CloudEvents
 * posted back in structured and binary mode, with duplicates recognised.
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from './harness.js';

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await startHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(() => h.close());

async function http(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

interface Claimed {
  task: { id: string; name: string; kind: string; attempt: number; properties: Record<string, unknown>; deadline: number | null };
  run: { id: string; project: string; stage: string; artifacts: Record<string, string> };
  event: { type: string; id: string; taskid: string };
  leaseExpiresAt: number;
  leaseToken: string;
}

/** What names the claim of `c` on a REST heartbeat or report (executor `ci-1` claims in these tests). */
const proof = (c: Claimed) => ({ executor: 'ci-1', leaseToken: c.leaseToken });
/** The same as CloudEvent extension attributes. */
const ceProof = (c: Claimed) => ({ executor: 'ci-1', leasetoken: c.leaseToken });

const claim = (waitMs = 0) => http('POST', '/api/v1/tasks/claim', h.tokens.execute, { kinds: ['pytest'], executor: 'ci-1', waitMs, leaseMs: 30_000 });
const trigger = async () => (await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'api:1' } } })).json() as { runId: string };
const runState = async (runId: string) => (await h.slipway.store.getRun(runId))?.state;

describe('pull executors', () => {
  it('claim (long-poll), heartbeat and finish a task', async () => {
    expect((await claim()).status).toBe(204);
    const waiting = claim(5000);
    const { runId } = await trigger();
    const got = await waiting;
    expect(got.status).toBe(200);
    const c = got.body as unknown as Claimed;
    expect(c.task).toMatchObject({ id: `${runId}.test.1`, name: 'test', kind: 'pytest', attempt: 1, properties: { suite: 'smoke' } });
    expect(c.run).toMatchObject({ id: runId, project: 'ext', stage: 'dev', artifacts: { api: 'api:1' } });
    expect(c.event).toMatchObject({ type: 'sh.slipway.task.test.triggered', taskid: c.task.id });
    expect(c.leaseExpiresAt).toBeGreaterThan(Date.now());
    expect(c.leaseToken).toMatch(/^sll_[A-Za-z0-9_-]{32}$/);
    expect((await claim()).status).toBe(204);

    const hb = await http('POST', `/api/v1/tasks/${c.task.id}/heartbeat`, h.tokens.execute, { leaseMs: 120_000, ...proof(c) });
    expect(hb.status).toBe(200);
    expect(hb.body!['leaseExpiresAt']).toBeGreaterThan(c.leaseExpiresAt);

    const done = await http('POST', `/api/v1/tasks/${c.task.id}/finish`, h.tokens.execute, { result: 'pass', message: 'all green', output: { tests: 12 }, ...proof(c) });
    expect(done.body).toStrictEqual({ taskId: c.task.id, applied: true });
    await eventually(async () => (await runState(runId)) === 'succeeded' || undefined);
    const again = await http('POST', `/api/v1/tasks/${c.task.id}/finish`, h.tokens.execute, { result: 'fail', ...proof(c) });
    expect(again.body).toStrictEqual({ taskId: c.task.id, applied: false });
    const late = await http('POST', `/api/v1/tasks/${c.task.id}/heartbeat`, h.tokens.execute, proof(c));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'INVALID_STATE', field: 'taskId' });
    const task = (await h.slipway.store.getRun(runId))!.tasks[0]!;
    expect(task).toMatchObject({ result: 'pass', message: 'all green' });
  });

  it('a heartbeat after the run was aborted is a 409, so the executor stops', async () => {
    const { runId } = await trigger();
    const c = (await claim(2000)).body as unknown as Claimed;
    await h.call('POST', `/api/v1/runs/${runId}/abort`, { body: {} });
    const hb = await http('POST', `/api/v1/tasks/${c.task.id}/heartbeat`, h.tokens.execute, proof(c));
    expect(hb.status).toBe(409);
    expect(String(hb.body!['message'])).toMatch(/aborted/);
  });

  it('a claim whose client went away stops waiting and takes nothing', async () => {
    const gone = new AbortController();
    const pending = fetch(`${base}/api/v1/tasks/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.execute}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kinds: ['pytest'], executor: 'ci-gone', waitMs: 30_000 }),
      signal: gone.signal,
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    gone.abort();
    await pending;
    await new Promise((r) => setTimeout(r, 100));
    await trigger();
    const c = (await claim(2000)).body as unknown as Claimed;
    expect(c.task.attempt).toBe(1);
  });

  it('a task claimed just as its client went away fails at once with the reason (its retries take over), not when the lease runs out', async () => {
    // The claim's client goes after the claim committed and before its answer is written: the
    // engine announces the task's .started event synchronously before the claim resolves.
    const sockets = new Set<Socket>();
    const track = (s: Socket) => sockets.add(s);
    h.app.server.on('connection', track);
    const cut = (e: { type: string }) => {
      if (e.type === 'sh.slipway.task.test.started') for (const s of sockets) s.destroy();
    };
    h.slipway.engine.emitter.on('event', cut);
    const { runId } = await trigger();
    try {
      // leaseMs 30 s (claim()): held until the lease ran out, the task would still be started.
      await expect(claim(2000)).rejects.toThrow();
    } finally {
      h.slipway.engine.emitter.off('event', cut);
      h.app.server.off('connection', track);
    }
    // retries: 0, so the run fails with the reason; with retries the next attempt is offered at once.
    const task = await eventually(async () => (await h.slipway.store.getRun(runId))?.tasks.find((t) => t.name === 'test' && t.result === 'fail'), 5000, 'the claimed task to fail');
    expect(task.message).toMatch(/claim's answer could not be sent to executor 'ci-1'.*connection closed/);
    expect(await runState(runId)).toBe('failed');
  });
});

describe('POST /api/v1/events', () => {
  const structured = (type: string, id: string, taskId: string, data?: object, extra: object = {}) =>
    http('POST', '/api/v1/events', h.tokens.execute, JSON.stringify({ specversion: '1.0', id, source: 'urn:ci', type, taskid: taskId, ...extra, ...(data ? { data } : {}) }), { 'content-type': 'application/cloudevents+json' });
  const binary = (type: string, id: string, taskId: string, data?: object, extra: Record<string, string> = {}) =>
    http('POST', '/api/v1/events', h.tokens.execute, data ?? {}, { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': 'urn:ci', 'ce-type': type, 'ce-subject': taskId, ...extra });

  it('accepts .started and .finished in structured mode; a repeat is applied: false', async () => {
    const { runId } = await trigger();
    const c = (await claim(2000)).body as unknown as Claimed;
    // Claiming started the task: the executor's own .started changes nothing.
    expect((await structured('sh.slipway.task.test.started', 'e-1', c.task.id, undefined, ceProof(c))).body).toStrictEqual({ id: 'e-1', applied: false });
    const fin = await structured('sh.slipway.task.test.finished', 'e-2', c.task.id, { result: 'warning', message: 'flaky' }, ceProof(c));
    expect(fin.status).toBe(202);
    expect(fin.body).toStrictEqual({ id: 'e-2', applied: true });
    expect((await structured('sh.slipway.task.test.finished', 'e-2', c.task.id, { result: 'warning' }, ceProof(c))).body).toStrictEqual({ id: 'e-2', applied: false });
    await eventually(async () => (await runState(runId)) === 'succeeded' || undefined);
    expect((await h.slipway.store.getRun(runId))!.tasks[0]).toMatchObject({ result: 'warning', message: 'flaky' });
  });

  it('accepts binary mode with the task in the subject and the claim in ce-executor / ce-leasetoken', async () => {
    const { runId } = await trigger();
    const c = (await claim(2000)).body as unknown as Claimed;
    const taskId = `${runId}.test.1`;
    const headers = { 'ce-executor': 'ci-1', 'ce-leasetoken': c.leaseToken };
    expect((await binary('sh.slipway.task.test.started', 'b-1', taskId, undefined, headers)).body).toStrictEqual({ id: 'b-1', applied: false });
    expect((await binary('sh.slipway.task.test.finished', 'b-2', taskId, { result: 'fail', message: 'red' }, headers)).body).toStrictEqual({ id: 'b-2', applied: true });
    expect((await binary('sh.slipway.task.test.finished', 'b-2', taskId, { result: 'fail', message: 'red' }, headers)).body).toStrictEqual({ id: 'b-2', applied: false });
    await eventually(async () => (await runState(runId)) === 'failed' || undefined);
  });

  it('refuses events it cannot use with a 4xx naming the attribute, changing nothing', async () => {
    const { runId } = await trigger();
    const taskId = `${runId}.test.1`;
    const before = await h.slipway.store.lastEventSeq();
    const cases: [Promise<{ status: number; body?: Record<string, unknown> }>, number, string][] = [
      [structured('sh.slipway.task.test.triggered', 'x1', taskId), 400, 'type'],
      [structured('sh.slipway.task.other.finished', 'x2', taskId, { result: 'pass' }), 400, 'type'],
      [structured('sh.slipway.task.test.finished', 'x3', taskId, { result: 'maybe' }), 400, 'data.result'],
      [structured('sh.slipway.task.test.finished', 'x4', 'nonsense', { result: 'pass' }), 400, 'taskid'],
      [structured('sh.slipway.task.test.finished', 'x5', 'run-nope.test.1', { result: 'pass' }), 404, 'taskid'],
      [http('POST', '/api/v1/events', h.tokens.execute, JSON.stringify({ specversion: '1.0', source: 'urn:ci', type: 'sh.slipway.task.test.started', taskid: taskId }), { 'content-type': 'application/cloudevents+json' }), 400, 'id'],
      [http('POST', '/api/v1/events', h.tokens.execute, { result: 'pass' }), 400, 'id'],
      [http('POST', '/api/v1/events', h.tokens.execute, JSON.stringify({ specversion: '0.1', id: 'x8', source: 'urn:ci', type: 'sh.slipway.task.test.started', taskid: taskId }), { 'content-type': 'application/cloudevents+json' }), 400, 'specversion'],
    ];
    for (const [req, status, field] of cases) {
      const res = await req;
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body).toMatchObject({ field });
    }
    expect(await h.slipway.store.lastEventSeq()).toBe(before);
  });
});
