/**
 * `Idempotency-Key` on changes, over real HTTP on 127.0.0.1 with a real store (SQLite; the
 * `postgres` project runs this file again on PostgreSQL): a repeat is answered from the first
 * answer and runs nothing, another request with the key is refused, a concurrent duplicate
 * never runs twice, keys are per token, 5xx answers are not kept, and old keys expire.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/index.js';
import type { Api } from '../../src/api/types.js';
import { FakeClock } from '../../src/engine/index.js';
import { openSlipway, type Slipway } from '../../src/main.js';
import type { Store } from '../../src/store/index.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';
import { SHOP, eventually, sha256 } from './harness.js';

interface Server {
  url: string;
  slipway: Slipway;
  tokens: { trigger: string; admin: string };
  close(): Promise<void>;
}

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function serve(opts: { clock?: FakeClock; store?: (real: Store) => Store; before?: (s: Slipway) => Promise<void> } = {}): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-idem-'));
  const slipway = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), ...(opts.clock ? { clock: opts.clock } : {}) });
  await slipway.addPipelineText(SHOP, 'test.yaml', dir);
  await opts.before?.(slipway);
  const tokens = { trigger: `slw_${randomBytes(16).toString('hex')}`, admin: `slw_${randomBytes(16).toString('hex')}` };
  for (const [scope, token] of Object.entries(tokens)) await slipway.store.addToken({ id: `tok-${scope}`, name: `t-${scope}`, hash: sha256(token), scopes: [scope], createdAt: Date.now() });
  const app: Api = await buildServer({ slipway: opts.store ? { ...slipway, store: opts.store(slipway.store) } : slipway, openRead: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const server: Server = {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    slipway,
    tokens,
    close: async () => {
      await app.close();
      await slipway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  open.push(server);
  return server;
}

interface Answer {
  status: number;
  replayed: string | null;
  retryAfter: string | null;
  type: string | null;
  text: string;
  body: Record<string, unknown>;
}

async function send(s: Server, method: string, path: string, o: { key?: string; body?: unknown; token?: string } = {}): Promise<Answer> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${o.token ?? s.tokens.trigger}`,
      ...(o.key !== undefined ? { 'idempotency-key': o.key } : {}),
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const RELEASES = '/api/v1/projects/shop/releases';
const release = (n: number) => ({ artifacts: { frontend: `registry/frontend:${n}`, backend: `registry/backend:${n}` } });
const runsIn = async (s: Server, releaseId: string, stage: string) => (await s.slipway.store.listRuns({ releaseId })).filter((r) => r.stage === stage);

describe('Idempotency-Key', () => {
  it('a release posted twice with one key is created and run once; the second answer is the first, marked replayed', async () => {
    const s = await serve();
    const first = await send(s, 'POST', RELEASES, { key: 'release-1', body: release(1) });
    expect(first).toMatchObject({ status: 201, replayed: null, body: { created: true } });
    const releaseId = first.body['releaseId'] as string;
    // The first run is over: without the key, the same POST would trigger the release again.
    await eventually(async () => (await runsIn(s, releaseId, 'dev')).every((r) => r.state === 'succeeded') || undefined);
    const again = await send(s, 'POST', RELEASES, { key: 'release-1', body: release(1) });
    expect(again).toMatchObject({ status: 201, replayed: 'true', type: first.type, text: first.text });
    expect(await runsIn(s, releaseId, 'dev')).toHaveLength(1);
  });

  it('the same key on another body or path is refused with 422 naming the first request; a malformed key is a 400', async () => {
    const s = await serve();
    expect((await send(s, 'POST', RELEASES, { key: 'k', body: release(1) })).status).toBe(201);
    const other = await send(s, 'POST', RELEASES, { key: 'k', body: release(2) });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotency-key', firstRequest: `POST ${RELEASES}` });
    expect(other.body['message']).toMatch(/Idempotency-Key 'k' was first used for POST \/api\/v1\/projects\/shop\/releases at .* with another query or body; .*send this one with a new key/);
    const elsewhere = await send(s, 'POST', '/api/v1/projects/shop/stages/dev/rollback', { key: 'k', body: {} });
    expect(elsewhere).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect((await s.slipway.store.listRuns({})).filter((r) => r.stage === 'dev')).toHaveLength(1);
    for (const key of ['', 'x'.repeat(256), 'caf\u00e9']) {
      expect(await send(s, 'POST', RELEASES, { key, body: release(3) })).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT', field: 'idempotency-key' } });
    }
  });

  it('concurrent duplicates run once: the others are told it is in flight (409) or get its answer', async () => {
    const s = await serve();
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(s, 'POST', RELEASES, { key: 'together', body: release(7) })));
    const ran = answers.filter((a) => a.status === 201 && a.replayed === null);
    expect(ran).toHaveLength(1);
    for (const a of answers.filter((x) => x !== ran[0])) {
      if (a.status === 409) expect(a).toMatchObject({ retryAfter: '1', body: { code: 'IDEMPOTENCY_KEY_IN_FLIGHT', field: 'idempotency-key' } });
      else expect(a).toMatchObject({ status: 201, replayed: 'true', text: ran[0]!.text });
    }
    expect(await runsIn(s, ran[0]!.body['releaseId'] as string, 'dev')).toHaveLength(1);
  });

  it("another token's key of the same text is a key of its own", async () => {
    const s = await serve();
    const mine = await send(s, 'POST', RELEASES, { key: 'shared', body: release(1) });
    const theirs = await send(s, 'POST', RELEASES, { key: 'shared', body: release(2), token: s.tokens.admin });
    expect(theirs).toMatchObject({ status: 201, replayed: null, body: { created: true } });
    expect(theirs.body['releaseId']).not.toBe(mine.body['releaseId']);
    expect(await send(s, 'POST', RELEASES, { key: 'shared', body: release(1) })).toMatchObject({ status: 201, replayed: 'true', text: mine.text });
    expect(await send(s, 'POST', RELEASES, { key: 'shared', body: release(2), token: s.tokens.admin })).toMatchObject({ status: 201, replayed: 'true', text: theirs.text });
  });

  it('a release whose answer was never kept (the server failed or stopped right after applying it) is not run again by the retry that finds the key free', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    let failSettle = true;
    const s = await serve({
      clock,
      store: (real) => {
        const flaky = Object.create(real) as Store;
        flaky.settleIdempotencyKey = async (...args) => {
          if (failSettle) {
            failSettle = false;
            throw new Error('the disk went away');
          }
          return real.settleIdempotencyKey(...args);
        };
        return flaky;
      },
    });
    const first = await send(s, 'POST', RELEASES, { key: 'lost', body: release(4) });
    expect(first).toMatchObject({ status: 201, replayed: null, body: { created: true } });
    const releaseId = first.body['releaseId'] as string;
    await eventually(async () => (await runsIn(s, releaseId, 'dev')).every((r) => r.state === 'succeeded') || undefined);
    // The key still reads as taken by a request in flight, until the pending claim runs out (as after a server's stop).
    expect(await send(s, 'POST', RELEASES, { key: 'lost', body: release(4) })).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_KEY_IN_FLIGHT' } });
    clock.advance(5 * 60_000 + 1);
    const retry = await send(s, 'POST', RELEASES, { key: 'lost', body: release(4) });
    // The retry runs, finds the trigger applied under the key's input id, and answers the first's release and run.
    expect(retry).toMatchObject({ status: 201, replayed: null, body: { releaseId, runId: first.body['runId'], created: true } });
    expect(await runsIn(s, releaseId, 'dev')).toHaveLength(1);
    // That answer is kept now; without the key, the same POST triggers the release again.
    expect(await send(s, 'POST', RELEASES, { key: 'lost', body: release(4) })).toMatchObject({ status: 201, replayed: 'true', text: retry.text });
    expect(await send(s, 'POST', RELEASES, { body: release(4) })).toMatchObject({ status: 201, replayed: null });
    expect(await runsIn(s, releaseId, 'dev')).toHaveLength(2);
  });

  it('a change whose answer holds a secret shown once (a token, a subscription) is made once: a repeat is told what it made (409 IDEMPOTENT_ANSWER_WITHHELD), and no secret is kept', async () => {
    const s = await serve();
    const admin = s.tokens.admin;
    const made = await send(s, 'POST', '/api/v1/tokens', { key: 'tok-1', token: admin, body: { name: 'ci', scopes: ['read'] } });
    expect(made).toMatchObject({ status: 201, replayed: null, body: { name: 'ci', token: expect.stringMatching(/^slw_/) } });
    const id = String(made.body['id']);
    const again = await send(s, 'POST', '/api/v1/tokens', { key: 'tok-1', token: admin, body: { name: 'ci', scopes: ['read'] } });
    expect(again).toMatchObject({ status: 409, replayed: 'true', body: { code: 'IDEMPOTENT_ANSWER_WITHHELD', field: 'idempotency-key', id } });
    expect(again.body['message']).toMatch(new RegExp(`'tok-1' \\(POST /api/v1/tokens at .*\\) was applied: it made token 'ci' \\(id ${id}\\)\\..*slipway token revoke ${id}`));
    expect(again.text).not.toContain(String(made.body['token']));
    expect((await s.slipway.store.listTokens()).filter((t) => t.name === 'ci')).toHaveLength(1);
    // Another body with the key is still refused.
    expect(await send(s, 'POST', '/api/v1/tokens', { key: 'tok-1', token: admin, body: { name: 'ci-2', scopes: ['read'] } })).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    // A refusal is kept as it is: it holds no secret.
    const taken = { key: 'tok-2', token: admin, body: { name: 'ci', scopes: ['read'] } };
    expect(await send(s, 'POST', '/api/v1/tokens', taken)).toMatchObject({ status: 409, replayed: null, body: { code: 'ALREADY_EXISTS' } });
    expect(await send(s, 'POST', '/api/v1/tokens', taken)).toMatchObject({ status: 409, replayed: 'true', body: { code: 'ALREADY_EXISTS' } });

    // A subscription: made once, whether its secret was chosen by the client or made by the server.
    const url = 'https://hook-user:hook-password@hooks.example.com/slipway?token=in-the-query';
    const sub = { kind: 'custom-deploy', url, secret: 'chosen-by-the-client-0123456789' };
    const first = await send(s, 'POST', '/api/v1/subscriptions', { key: 'sub-1', token: admin, body: sub });
    expect(first).toMatchObject({ status: 201, body: { secret: sub.secret } });
    const repeat = await send(s, 'POST', '/api/v1/subscriptions', { key: 'sub-1', token: admin, body: sub });
    expect(repeat).toMatchObject({ status: 409, replayed: 'true', body: { code: 'IDEMPOTENT_ANSWER_WITHHELD', id: first.body['id'] } });
    expect(repeat.body['message']).toContain(`subscription ${String(first.body['id'])} (custom-deploy tasks → https://hooks.example.com/slipway)`);
    const serverMade = await send(s, 'POST', '/api/v1/subscriptions', { key: 'sub-2', token: admin, body: { kind: 'custom-deploy', url: 'https://other.example.com/' } });
    expect(await send(s, 'POST', '/api/v1/subscriptions', { key: 'sub-2', token: admin, body: { kind: 'custom-deploy', url: 'https://other.example.com/' } })).toMatchObject({ status: 409, body: { id: serverMade.body['id'] } });
    expect(await s.slipway.store.listSubscriptions()).toHaveLength(2);
    // What the server kept holds none of the secrets, nor the URL's credentials.
    const kept = JSON.stringify([await s.slipway.store.idempotencyKey('tok-1', 'tok-admin'), await s.slipway.store.idempotencyKey('sub-1', 'tok-admin'), await s.slipway.store.idempotencyKey('sub-2', 'tok-admin')]);
    for (const secret of [String(made.body['token']), sub.secret, String(serverMade.body['secret']), 'hook-password', 'in-the-query']) expect(kept).not.toContain(secret);
    expect(kept).toContain('IDEMPOTENT_ANSWER_WITHHELD');
  });

  it('a 5xx answer is not kept: the key runs again, and that answer is the one replayed', async () => {
    let failNext = true;
    const s = await serve({
      store: (real) => {
        const flaky = Object.create(real) as Store;
        flaky.listTokens = async () => {
          if (failNext) {
            failNext = false;
            throw new Error('the disk went away');
          }
          return real.listTokens();
        };
        return flaky;
      },
    });
    const path = '/api/v1/tokens/tok-trigger';
    expect(await send(s, 'DELETE', path, { key: 'revoke', token: s.tokens.admin })).toMatchObject({ status: 500, body: { code: 'INTERNAL' } });
    expect(await send(s, 'DELETE', path, { key: 'revoke', token: s.tokens.admin })).toMatchObject({ status: 204, replayed: null });
    expect(await send(s, 'DELETE', path, { key: 'revoke', token: s.tokens.admin })).toMatchObject({ status: 204, replayed: 'true' });
    // Without the key the token is gone.
    expect(await send(s, 'DELETE', path, { token: s.tokens.admin })).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TOKEN' } });
  });

  it('keys expire after 24 h and are pruned; pending keys a stopped server left are dropped at start', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const s = await serve({
      clock,
      before: (slipway) =>
        slipway.store.claimIdempotencyKey({ key: 'left', principal: 'tok-trigger', fingerprint: 'f', request: `POST ${RELEASES}`, createdAt: clock.now(), expiresAt: clock.now() + 300_000 }).then(() => undefined),
    });
    expect(await s.slipway.store.idempotencyKey('left', 'tok-trigger')).toBeUndefined();
    const first = await send(s, 'POST', RELEASES, { key: 'day-1', body: release(1) });
    await send(s, 'POST', RELEASES, { key: 'other', body: release(2) });
    clock.advance(23 * 3_600_000);
    expect(await send(s, 'POST', RELEASES, { key: 'day-1', body: release(1) })).toMatchObject({ replayed: 'true', text: first.text });
    clock.advance(3_600_000);
    // A day on, the key is free for a new request, and the expired ones are gone from the store.
    expect(await send(s, 'POST', RELEASES, { key: 'day-1', body: release(3) })).toMatchObject({ status: 201, replayed: null, body: { created: true } });
    expect(await s.slipway.store.idempotencyKey('other', 'tok-trigger')).toBeUndefined();
    expect((await s.slipway.store.idempotencyKey('day-1', 'tok-trigger'))?.fingerprint).toBeDefined();
  });

  it('the OpenAPI document lists the header on the changes that take it, and not on reads or requests holding secrets', async () => {
    const s = await serve();
    const doc = (await (await fetch(`${s.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: { in: string; name: string; description?: string; required?: boolean }[] }>> };
    const keyOf = (path: string, method: string) => doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
    expect(keyOf('/api/v1/projects/{project}/releases', 'post')).toMatchObject({ required: false, description: expect.stringMatching(/IDEMPOTENCY_KEY_REUSED.*IDEMPOTENCY_KEY_IN_FLIGHT/) });
    expect(keyOf('/api/v1/tokens/{id}', 'delete')).toBeDefined();
    expect(keyOf('/api/v1/projects/{project}/status', 'get')).toBeUndefined();
    expect(keyOf('/api/v1/tokens', 'post')).toBeDefined();
    expect(keyOf('/api/v1/secrets/{name}', 'put')).toBeUndefined();
  });
});
