/**
 * A real Slipway on a temp data directory (real SQLite), served over real HTTP on
 * 127.0.0.1 at a port chosen at run time, with the webhook secret in its environment. It
 * can be stopped and opened again on the same directory, as a restart.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildServer } from '../../../src/api/index.js';
import { openSlipway, type Slipway } from '../../../src/main.js';
import { storeOptionFor } from '../../e2e/support/e2e-store.js';
import type { PullRequestSink } from '../../../src/triggers/index.js';

export const SECRET = 'hook-secret-5d1e9a77c2';
/** An admin token every HookServer knows. */
export const TOKEN = 'slw_hooks-test-admin-0123456789abcdef';

export interface HookServer {
  url: string;
  slipway: Slipway;
  dir: string;
  /** Counts of what the store holds: releases, runs, deliveries. */
  counts(project: string): Promise<{ releases: number; runs: number; deliveries: number }>;
  stop(): Promise<void>;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'slipway-hooks-'));
}

export async function startHookServer(opts: { dir: string; pipelines: string[]; pullRequests?: PullRequestSink; env?: Record<string, string>; tickMs?: number }): Promise<HookServer> {
  const slipway = await openSlipway({
    dataDir: opts.dir,
    // SLIPWAY_TEST_STORE=postgres: the directory's own PostgreSQL database, the same after a restart (e2e-store.ts).
    ...(await storeOptionFor(opts.dir)),
    env: { SLIPWAY_SECRET_SHOP_HOOK: SECRET, ...opts.env },
    ...(opts.pullRequests ? { pullRequests: opts.pullRequests } : {}),
    gitWatch: { tickMs: opts.tickMs ?? 50, maxBackoffMs: 3000 },
  });
  for (const text of opts.pipelines) await slipway.addPipelineText(text, 'slipway.yaml', opts.dir);
  const hash = createHash('sha256').update(TOKEN).digest('hex');
  if (!(await slipway.store.tokenByHash(hash))) await slipway.store.addToken({ id: 'tok-hooks-admin', name: 'hooks-admin', hash, scopes: ['admin'], createdAt: Date.now() });
  const app = await buildServer({ slipway, openRead: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    slipway,
    dir: opts.dir,
    async counts(project) {
      const db = slipway.store;
      const runs = await db.listRuns({ project, limit: 10_000 });
      const releases = new Set(runs.map((r) => r.releaseId)).size;
      const deliveries = (await db.listDeliveries({ project, limit: 10_000 })).length;
      return { releases, runs: runs.length, deliveries };
    },
    async stop() {
      await app.close();
      await slipway.close();
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
