/**
 * One API server per test: a temp data directory, real SQLite, the real engine, and a
 * token per scope. `inject` for most tests; `listen()` for the ones that need a socket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/api/index.js';
import type { PushOptions } from '../../src/api/index.js';
import { openSlipway, type Slipway } from '../../src/main.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

/** Two services through dev → hardening → production: noop tasks, a manual approval, and one outside kind (`pytest`) in hardening. */
export const SHOP = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
    - name: hardening
      after: [dev]
      tasks:
        - {name: deploy, kind: noop}
        - {name: test, kind: noop}
    - name: production
      after: [hardening]
      tasks:
        - {name: approval, kind: approval, properties: {pass: manual}}
        - {name: deploy, kind: noop}
`;

/** A one-stage project whose only task is of a kind outside executors serve. */
export const OUTSIDE = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ext}
spec:
  services: [api]
  outsideKinds: [pytest]
  stages:
    - name: dev
      tasks:
        - {name: test, kind: pytest, retries: 0, properties: {suite: smoke}}
`;

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export const SCOPES = ['read', 'trigger', 'approve:production', 'approve:*', 'execute', 'admin', 'audit'] as const;
export type ScopeName = (typeof SCOPES)[number];

export interface Harness {
  app: FastifyInstance;
  slipway: Slipway;
  dir: string;
  tokens: Record<ScopeName, string>;
  /** `inject` with a token (or none) and a JSON body. */
  call(method: string, url: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  openRead?: boolean;
  projects?: string[];
  bodyLimit?: number;
  sseHeartbeatMs?: number;
  push?: Partial<PushOptions>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-api-'));
  // SLIPWAY_TEST_STORE=postgres: the directory's own PostgreSQL database (e2e-store.ts).
  const slipway = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)) });
  for (const text of opts.projects ?? [SHOP, OUTSIDE]) await slipway.addPipelineText(text, 'test.yaml', dir);
  const app = await buildServer({
    slipway,
    openRead: opts.openRead ?? false,
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
    ...(opts.sseHeartbeatMs ? { sseHeartbeatMs: opts.sseHeartbeatMs } : {}),
    ...(opts.push ? { push: opts.push } : {}),
  });
  await app.ready();
  const tokens = {} as Record<ScopeName, string>;
  for (const scope of SCOPES) {
    const token = `slw_${randomBytes(32).toString('base64url')}`;
    const name = `t-${scope.replace(/[:*]/g, '_')}`;
    await slipway.store.addToken({ id: `tok-${name}`, name, hash: sha256(token), scopes: [scope], createdAt: Date.now() });
    tokens[scope] = token;
  }
  const call: Harness['call'] = (method, url, o = {}) => {
    const token = o.token === undefined ? tokens.admin : o.token;
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...o.headers };
    if (o.body !== undefined && typeof o.body !== 'string') headers['content-type'] ??= 'application/json';
    return app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(o.body !== undefined ? { payload: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
    });
  };
  let closed = false;
  return {
    app,
    slipway,
    dir,
    tokens,
    call,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await slipway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` returns a value (polling every 10 ms), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until every input submitted so far is committed and no task is in flight in the engine. */
export async function engineIdle(h: Harness, ms = 30_000): Promise<void> {
  const { engine } = h.slipway;
  await eventually(async () => (await engine.settled(), engine.inflight === 0), ms, `the engine to have no input or task in flight (${engine.inflight} now)`);
}
