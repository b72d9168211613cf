/**
 * Feature flags end to end, all real: a `slipway server` child process, the real CLI, and
 * the real OpenFeature server SDK with its OFREP provider as the client. Release A goes to
 * production before the pipeline ramps the flag; release B's run ramps it 5% → 25% → 100%
 * (each pause ended by a `skip`); a fixed set of users sees the share grow without anyone
 * flipping back; a rollback of production to A puts the flag back to what A had (the
 * default); the bulk route answers 304 to an ETag that still holds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-flags-0123456789abcdef';
const USERS = Array.from({ length: 200 }, (_, i) => `user-${i}`);

const pipeline = (ramp: boolean) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  flags:
    new-checkout: {variants: {on: true, off: false}, default: off}
  stages:
    - name: production
      tasks:
        - {name: deploy, kind: noop}
${ramp ? "        - {name: ramp, kind: flag, properties: {flag: new-checkout, variant: on, steps: [5, 25, 100], pause: 1h}}\n" : ''}`;

let dir: string;
let server: ServerProcess;
let readToken: string;

async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const yaml = typeof body === 'string';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': yaml ? 'application/yaml' : 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: yaml ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

/** Polls until `check` gives a value (a deadline, no fixed sleeps). */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface RunView {
  state: string;
  tasks: { name: string; state: string; attempt: number }[];
}

async function runOf(id: string): Promise<RunView> {
  return (await api<RunView>('GET', `/api/v1/runs/${id}`)).body;
}

async function rampWaiting(runId: string, percent: number): Promise<string> {
  return until(`ramp at ${percent}%`, async () => {
    const run = await runOf(runId);
    const t = run.tasks.find((x) => x.name === 'ramp');
    const flags = await api<{ flags: { stages: { percent: number }[] }[] }>('GET', '/api/v1/projects/shop/flags');
    return t?.state === 'waiting' && flags.body.flags[0]!.stages[0]!.percent === percent ? `${runId}.ramp.${t.attempt}` : undefined;
  });
}

/** Which users the SDK sees with the flag on. */
async function usersOn(): Promise<Set<string>> {
  const client = OpenFeature.getClient();
  const on = new Set<string>();
  for (const u of USERS) {
    const d = await client.getBooleanDetails('new-checkout', false, { targetingKey: u, stage: 'production' });
    expect(d.errorCode).toBeUndefined();
    if (d.value) on.add(u);
  }
  return on;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-flags-'));
  await writeFile(join(dir, 'slipway.yaml'), pipeline(false));
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
  readToken = (await api<{ token: string }>('POST', '/api/v1/tokens', { name: 'flag-reader', scopes: ['read'] })).body.token;
  // The provider sends the read token as X-API-Key (OFREP's API-key scheme).
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: server.url, headers: { 'X-API-Key': readToken } }));
}, 60_000);

afterAll(async () => {
  await OpenFeature.close();
  const code = await server?.stop();
  expect(code).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

describe('feature flags over OFREP', () => {
  it('ramps 0% → 5% → 25% → 100% without flipping anyone back, and a rollback restores the earlier state', async () => {
    const a = await api<{ releaseId: string; runId: string }>('POST', '/api/v1/projects/shop/releases', { artifacts: { web: 'web:1.0.0' } });
    expect(a.status).toBe(201);
    await until('release A in production', async () => ((await runOf(a.body.runId)).state === 'succeeded' ? true : undefined));

    const off = await usersOn();
    expect(off.size).toBe(0);
    const client = OpenFeature.getClient();
    expect((await client.getBooleanDetails('new-checkout', true, { targetingKey: 'user-1', stage: 'production' })).reason).toBe('DEFAULT');

    expect((await api('PUT', '/api/v1/projects/shop', pipeline(true))).status).toBe(200);
    const b = await api<{ releaseId: string; runId: string }>('POST', '/api/v1/projects/shop/releases', { artifacts: { web: 'web:2.0.0' } });
    const seen: Set<string>[] = [off];
    for (const percent of [5, 25]) {
      const task = await rampWaiting(b.body.runId, percent);
      const on = await usersOn();
      seen.push(on);
      // 200 users: the share lands near the percent (a stable hash, not a coin per request).
      expect(on.size).toBeGreaterThan((USERS.length * percent) / 100 / 2);
      expect(on.size).toBeLessThan((USERS.length * percent) / 100 * 2);
      expect((await client.getBooleanDetails('new-checkout', false, { targetingKey: 'user-1', stage: 'production' })).reason).toBe('SPLIT');
      // The same user gets the same answer on every evaluation.
      expect(await usersOn()).toEqual(on);
      expect((await api('POST', `/api/v1/tasks/${task}/signal`, { signal: 'skip', payload: { reason: 'metrics look fine' } })).status).toBeLessThan(300);
    }
    await until('release B in production', async () => ((await runOf(b.body.runId)).state === 'succeeded' ? true : undefined));
    const all = await usersOn();
    seen.push(all);
    expect(all.size).toBe(USERS.length);
    for (let i = 1; i < seen.length; i++) for (const u of seen[i - 1]!) expect(seen[i]!.has(u)).toBe(true);

    // The CLI shows the state per stage, set by release B's run.
    const list = slipway(['flags', '--project', 'shop'], dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: readToken, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
    expect((await list.exited).code).toBe(0);
    expect(list.stdout()).toMatch(/new-checkout\s+production\s+on 100%/);
    expect(list.stdout()).toContain(b.body.releaseId);

    // Production goes back to A: the flag goes back to what A had there (never ramped: the default).
    const back = await api<{ runId: string }>('POST', '/api/v1/projects/shop/stages/production/rollback', { to: a.body.releaseId, reason: 'checkout errors' });
    expect(back.status).toBe(201);
    expect((await usersOn()).size).toBe(0);
    await until('the rollback run', async () => ((await runOf(back.body.runId)).state === 'succeeded' ? true : undefined));
    // The rollback run did not ramp again (flag tasks are left out of it).
    expect((await runOf(back.body.runId)).tasks.map((t) => t.name)).not.toContain('ramp');
    expect((await usersOn()).size).toBe(0);

    // Each change is an event and an audit row.
    const events = await api<{ events: { event: { data: { cause: string; to: { percent: number } } } }[] }>('GET', '/api/v1/events?project=shop&type=sh.slipway.flag.changed');
    expect(events.body.events.map(({ event: e }) => `${e.data.cause}:${e.data.to.percent}`)).toEqual(['task:5', 'task:25', 'task:100', 'rollback:0']);
    const audit = await api<{ entries: { action: string }[] }>('GET', '/api/v1/audit?action=flag.set');
    expect(audit.body.entries.filter((r) => r.action === 'flag.set').length).toBe(3);
  }, 120_000);

  it('the bulk route gives an ETag and answers 304 while it holds; a change gives a new one', async () => {
    const body = { context: { targetingKey: 'user-7', stage: 'production' } };
    const first = await api<{ flags: { key: string; value: unknown; reason: string }[] }>('POST', '/ofrep/v1/evaluate/flags', body, { authorization: `Bearer ${readToken}` });
    expect(first.status).toBe(200);
    expect(first.body.flags.map((f) => f.key)).toEqual(['new-checkout']);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { 'x-api-key': readToken, 'content-type': 'application/json', 'if-none-match': etag }, body: JSON.stringify(body) });
    expect(again.status).toBe(304);
    const set = slipway(['flags', 'set', 'new-checkout', '--stage', 'production', '--variant', 'on', '--percent', '100', '--reason', 'by hand'], dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
    expect((await set.exited).code).toBe(0);
    const changed = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { 'x-api-key': readToken, 'content-type': 'application/json', 'if-none-match': etag }, body: JSON.stringify(body) });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  }, 60_000);

  it('answers in OFREP shape (beside the API registry\'s code and message): unknown flag 404, missing stage 400 INVALID_CONTEXT, bad JSON 400 PARSE_ERROR, no token 401', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = { 'x-api-key': readToken }) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const missing = await post('/ofrep/v1/evaluate/flags/nope', JSON.stringify({ context: { targetingKey: 'u', stage: 'production' } }));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND', code: 'UNKNOWN_FLAG', message: expect.stringContaining('nope') });
    const noStage = await post('/ofrep/v1/evaluate/flags/new-checkout', JSON.stringify({ context: { targetingKey: 'u' } }));
    expect(noStage.status).toBe(400);
    expect(await noStage.json()).toMatchObject({ key: 'new-checkout', errorCode: 'INVALID_CONTEXT', code: 'INVALID_INPUT', field: 'context' });
    const bad = await post('/ofrep/v1/evaluate/flags/new-checkout', '{"context": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errorCode: 'PARSE_ERROR' });
    const anonymous = await post('/ofrep/v1/evaluate/flags/new-checkout', '{}', {});
    expect(anonymous.status).toBe(401);
  });
});
