/**
 * Access control, walked from the server's own route table: every route, with no token
 * and with a token of each scope, is allowed exactly when its declared scope says so. A
 * route added without a scope is refused at registration, so none escapes this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, buildServer, type RouteEntry } from '../../src/api/index.js';
import { eventually, SCOPES, SHOP, startHarness, type Harness, type ScopeName } from './harness.js';
import { e2eStore } from '../e2e/support/e2e-store.js';

const GATE = SHOP.replace('name: shop', 'name: gate').replace(
  "        - {name: deploy, kind: noop}\n        - {name: test, kind: noop}",
  "        - {name: approval, kind: approval, properties: {pass: manual}}\n        - {name: test, kind: noop}",
);

let h: Harness;
let approvalTask: string;

beforeAll(async () => {
  h = await startHarness();
  await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1', backend: 'b:1' } } });
  approvalTask = await eventually(async () => {
    const { approvals } = (await h.call('GET', '/api/v1/approvals')).json() as { approvals: { taskId: string; stage: string }[] };
    return approvals.find((a) => a.stage === 'production')?.taskId;
  }, 10_000, 'the production approval');
});
afterAll(() => h.close());

/** A request each route can take; allowed ones may fail validation or find nothing, never 401/403. */
function request(route: RouteEntry): { url: string; body?: string; headers: Record<string, string> } {
  const url = route.url
    .replace(':project', 'shop')
    .replace(':releaseId', 'rel-nope')
    .replace(':runId', 'run-nope')
    .replace(':taskId', approvalTask)
    .replace(':id', 'nope')
    .replace('*', 'index.html');
  if (route.url === '/api/v1/events/stream') return { url, headers: { 'last-event-id': 'not-a-seq' } }; // allowed: 400 instead of a stream that never ends
  if (route.method === 'PUT') return { url, body: 'not: a pipeline', headers: { 'content-type': 'text/yaml' } };
  if (route.method === 'POST') return { url, body: '{}', headers: { 'content-type': route.url === '/api/v1/events' ? 'application/cloudevents+json' : 'application/json' } };
  return { url, headers: {} };
}

describe('the scope matrix', () => {
  it('covers every route the server has, each with a declared scope', () => {
    const routes = h.app.slipwayRoutes;
    expect(routes.length).toBeGreaterThan(25);
    for (const r of routes) expect(['none', 'read', 'trigger', 'approve', 'execute', 'admin', 'audit']).toContain(r.scope);
    expect(routes.find((r) => r.url === '/api/v1/tasks/:taskId/approve')?.scope).toBe('approve');
    expect(routes.find((r) => r.method === 'PUT' && r.url === '/api/v1/projects/:project')?.scope).toBe('admin');
  });

  it('allows a route exactly when the token has its scope (admin has all), and refuses without a token', async () => {
    const mismatches: string[] = [];
    for (const route of h.app.slipwayRoutes) {
      const req = request(route);
      for (const who of [null, ...SCOPES] as (ScopeName | null)[]) {
        const res = await h.call(route.method, req.url, { token: who === null ? null : h.tokens[who], headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) });
        const expected = route.scope === 'none' || (who !== null && allows([who], route.scope, 'production'));
        // The route admits an executor token to /finish of the approval task; the core then refuses it (BUILTIN_TASK), which is no scope denial.
        const denied = res.statusCode === 401 || (res.statusCode === 403 && res.json().code !== 'BUILTIN_TASK' && res.json().reason !== 'BUILTIN_TASK');
        if (expected === denied) mismatches.push(`${route.method} ${route.url} as ${who ?? 'nobody'}: ${res.statusCode} ${res.body.slice(0, 120)}`);
        // Keptn's routes answer as Keptn's API did: {code: <status>, message}, Slipway's code in `reason`.
        if (denied) expect(typeof res.json().code === 'number' ? res.json().reason : res.json().code).toBe(who === null ? 'UNAUTHORIZED' : 'FORBIDDEN');
        // On PostgreSQL (SLIPWAY_TEST_STORE) the server makes no backups itself: 501 NOT_SUPPORTED, pointing to pg_dump.
        if (e2eStore() === 'postgres' && route.url === '/api/v1/system/backup' && res.statusCode === 501) expect(res.json().code).toBe('NOT_SUPPORTED');
        else expect(res.statusCode, `${route.method} ${route.url} as ${who}`).toBeLessThan(500);
      }
    }
    expect(mismatches).toStrictEqual([]);
  });

  it('refuses a route registered without a scope', async () => {
    const app = await buildServer({ slipway: h.slipway, openRead: false });
    expect(() => app.get('/api/v1/sneaky', async () => 'x')).toThrow(/declares no config.scope/);
    await app.close();
  });
});

describe('tokens', () => {
  it('an unknown or malformed token is 401, whatever the route', async () => {
    for (const authorization of ['Bearer slw_nope', 'Basic abc', 'Bearer']) {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/projects', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('approve:<stage> approves only in that stage', async () => {
    await h.slipway.addPipelineText(GATE, 'gate.yaml', h.dir);
    await h.call('POST', '/api/v1/projects/gate/releases', { body: { artifacts: { frontend: 'f:9' } } });
    const task = await eventually(async () => {
      const { approvals } = (await h.call('GET', '/api/v1/approvals?project=gate')).json() as { approvals: { taskId: string; stage: string }[] };
      return approvals.find((a) => a.stage === 'hardening')?.taskId;
    });
    const denied = await h.call('POST', `/api/v1/tasks/${task}/approve`, { token: h.tokens['approve:production'], body: {} });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('approve:hardening');
    const ok = await h.call('POST', `/api/v1/tasks/${task}/approve`, { token: h.tokens['approve:*'], body: { comment: 'fine' } });
    expect(ok.statusCode).toBe(200);
  });

  it('execute:<kind> passes the executor routes (the core limits it to its kinds) and nothing else', async () => {
    const made = await h.call('POST', '/api/v1/tokens', { body: { name: 'jmeter-only', scopes: ['execute:jmeter'] } });
    expect(made.statusCode).toBe(201);
    const { token } = made.json() as { token: string };
    for (const route of h.app.slipwayRoutes) {
      if (route.scope === 'none' || route.scope === 'read') continue;
      const req = request(route);
      const res = await h.call(route.method, req.url, { token, headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) });
      const denied = res.statusCode === 401 || (res.statusCode === 403 && res.json().code !== 'BUILTIN_TASK');
      expect(denied, `${route.method} ${route.url}: ${res.statusCode} ${res.body.slice(0, 120)}`).toBe(route.scope !== 'execute');
    }
    expect(allows(['execute:jmeter'], 'execute')).toBe(true);
    expect(allows(['execute:jmeter'], 'read')).toBe(false);
    const bad = await h.call('POST', '/api/v1/tokens', { body: { name: 'bad', scopes: ['execute:'] } });
    expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'scopes.0' });
  });

  it('with --open-read, reads need no token but changes still do', async () => {
    const open = await startHarness({ openRead: true });
    try {
      expect((await open.call('GET', '/api/v1/projects', { token: null })).statusCode).toBe(200);
      expect((await open.call('GET', '/api/v1/runs', { token: null })).statusCode).toBe(200);
      expect((await open.call('POST', '/api/v1/projects/shop/releases', { token: null, body: { artifacts: { frontend: 'f:1' } } })).statusCode).toBe(401);
      expect((await open.call('GET', '/api/v1/tokens', { token: null })).statusCode).toBe(401);
      expect((await open.call('GET', '/api/v1/projects', { token: 'slw_unknown' })).statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('tokens are created (shown once, stored hashed), listed without values, revoked', async () => {
    const made = await h.call('POST', '/api/v1/tokens', { body: { name: 'ci', scopes: ['trigger', 'read'] } });
    expect(made.statusCode).toBe(201);
    const { id, token } = made.json() as { id: string; token: string };
    expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    const stored = (await h.slipway.store.listTokens()).find((t) => t.id === id)!;
    expect(JSON.stringify(stored)).not.toContain(token);
    const list = await h.call('GET', '/api/v1/tokens');
    expect(list.body).not.toContain(token);
    expect((await h.call('GET', '/api/v1/runs', { token })).statusCode).toBe(200);
    expect((await h.call('POST', '/api/v1/tokens', { body: { name: 'ci', scopes: ['read'] } })).json()).toMatchObject({ code: 'ALREADY_EXISTS', field: 'name' });
    expect((await h.call('POST', '/api/v1/tokens', { body: { name: 'x', scopes: ['root'] } })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'scopes.0' });
    expect((await h.call('DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(204);
    expect((await h.call('GET', '/api/v1/runs', { token })).statusCode).toBe(401);
    expect((await h.call('DELETE', `/api/v1/tokens/${id}`)).json()).toMatchObject({ code: 'UNKNOWN_TOKEN' });
  });

  it('changes record the token that made them in the event log', async () => {
    const made = await h.call('POST', '/api/v1/projects/shop/releases', { token: h.tokens.trigger, body: { artifacts: { frontend: 'f:attributed' } } });
    const { runId } = made.json() as { runId: string };
    const events = (await h.call('GET', `/api/v1/events?run=${runId}`)).json() as { events: { event: { type: string; data: { run?: { triggeredBy?: string } } } }[] };
    const queued = events.events.find((e) => e.event.type === 'sh.slipway.run.queued');
    expect(queued?.event.data.run?.triggeredBy).toBe('token:t-trigger');
  });
});
