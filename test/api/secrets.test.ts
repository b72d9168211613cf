/**
 * The secrets API (admin): set as JSON or text/plain, list, delete; no answer holds a
 * value. An outside executor gets its own task's secrets resolved in the claim answer,
 * while events keep the reference; a task naming a secret that is not set fails at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from './harness.js';

const VALUE = 'api-secret-value-6e1d';
const EXT = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ext}
spec:
  services: [api]
  outsideKinds: [pytest]
  stages:
    - name: dev
      tasks:
        - {name: test, kind: pytest, retries: 0, properties: {suite: smoke, env: {CI_TOKEN: '\${secret:CI_TOKEN}'}}}
`;

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ projects: [EXT] });
});
afterEach(() => h.close());

const put = (name: string, body: unknown, contentType = 'application/json', token?: string) =>
  h.call('PUT', `/api/v1/secrets/${name}`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType }, ...(token ? { token } : {}) });

describe('secrets API', () => {
  it('sets (JSON or text/plain), lists names and dates, and deletes; no answer holds the value', async () => {
    const made = await put('CI_TOKEN', { value: VALUE });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ name: 'CI_TOKEN', source: 'store', created: true, problem: null });
    expect(made.body).not.toContain(VALUE);
    const replaced = await put('CI_TOKEN', `${VALUE}-2\n`, 'text/plain');
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ name: 'CI_TOKEN', created: false });
    expect(h.slipway.secrets.resolve({ a: '${secret:CI_TOKEN}' }, { id: 'x', name: 't', kind: 'k' })).toStrictEqual({ a: `${VALUE}-2` });

    const list = await h.call('GET', '/api/v1/secrets');
    expect(list.json()).toMatchObject({ secrets: [{ name: 'CI_TOKEN', source: 'store', updatedBy: 'token:t-admin' }] });
    expect(list.body).not.toContain(VALUE);

    expect((await h.call('DELETE', '/api/v1/secrets/CI_TOKEN')).statusCode).toBe(204);
    const gone = await h.call('DELETE', '/api/v1/secrets/CI_TOKEN');
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: 'UNKNOWN_SECRET', field: 'name' });
  });

  it('refuses bad names and empty values naming the field, and anyone but an admin', async () => {
    const bad = await put('ci-token', { value: VALUE });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
    expect(bad.body).not.toContain(VALUE);
    const empty = await put('CI_TOKEN', { value: '' });
    expect(empty.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'value' });
    const notString = await put('CI_TOKEN', { value: 42 });
    expect(notString.statusCode).toBe(400);
    for (const scope of ['read', 'trigger', 'execute'] as const) {
      expect((await put('CI_TOKEN', { value: VALUE }, 'application/json', h.tokens[scope])).statusCode).toBe(403);
      expect((await h.call('GET', '/api/v1/secrets', { token: h.tokens[scope] })).statusCode).toBe(403);
    }
  });

  it("an outside executor's claim carries its task's secrets resolved; events keep the reference", async () => {
    await put('CI_TOKEN', { value: VALUE });
    const { runId } = (await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'api:1' } } })).json<{ runId: string }>();
    const claim = await h.call('POST', '/api/v1/tasks/claim', { token: h.tokens.execute, body: { kinds: ['pytest'], executor: 'ci-1', waitMs: 5000, leaseMs: 30_000 } });
    expect(claim.statusCode).toBe(200);
    const c = claim.json<{ task: { id: string; properties: Record<string, unknown> }; event: unknown; leaseToken: string }>();
    expect(c.task.id).toBe(`${runId}.test.1`);
    expect(c.task.properties).toStrictEqual({ suite: 'smoke', env: { CI_TOKEN: VALUE } });
    expect(JSON.stringify(c.event)).toContain('${secret:CI_TOKEN}');
    expect(JSON.stringify(c.event)).not.toContain(VALUE);
    // The executor repeats the value in its report: it reaches the log as the secret's name.
    const finish = await h.call('POST', `/api/v1/tasks/${c.task.id}/finish`, {
      token: h.tokens.execute,
      body: { result: 'pass', message: `ran with ${VALUE}`, output: { echoed: [VALUE] }, executor: 'ci-1', leaseToken: c.leaseToken },
    });
    expect(finish.json()).toStrictEqual({ taskId: c.task.id, applied: true });
    const events = await h.call('GET', `/api/v1/events?runId=${runId}`, { token: h.tokens.read });
    expect(events.body).toContain('${secret:CI_TOKEN}');
    expect(events.body).toContain('ran with [secret:CI_TOKEN]');
    expect(events.body).not.toContain(VALUE);
    expect(JSON.stringify(await h.slipway.store.getRun(runId))).not.toContain(VALUE);
  });

  it('an outside task naming a secret that is not set fails at once, naming it, instead of waiting for a claim', async () => {
    const { runId } = (await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'api:1' } } })).json<{ runId: string }>();
    const run = await eventually(async () => {
      const r = await h.slipway.store.getRun(runId);
      return r?.state === 'failed' ? r : undefined;
    });
    expect(run.tasks[0]!.message).toContain("pytest task 'test': properties.env.CI_TOKEN refers to secret 'CI_TOKEN', which is not set");
    expect(h.slipway.engine.backlog()).toStrictEqual({});
  });

  it('a secret deleted after dispatch fails the task at its claim, naming it; the claim gets nothing', async () => {
    await put('CI_TOKEN', { value: VALUE });
    const { runId } = (await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'api:1' } } })).json<{ runId: string }>();
    await eventually(() => h.slipway.engine.backlog()['pytest'] === 1 || undefined);
    expect((await h.call('DELETE', '/api/v1/secrets/CI_TOKEN')).statusCode).toBe(204);
    const claim = await h.call('POST', '/api/v1/tasks/claim', { token: h.tokens.execute, body: { kinds: ['pytest'], executor: 'ci-1', waitMs: 0, leaseMs: 30_000 } });
    expect(claim.statusCode).toBe(204);
    const run = await eventually(async () => {
      const r = await h.slipway.store.getRun(runId);
      return r?.state === 'failed' ? r : undefined;
    });
    expect(run.tasks[0]!.message).toContain("refers to secret 'CI_TOKEN', which is not set");
  });
});
