/**
 * `pr.ready` end to end inside one process: a pull request's environment deployed on the real
 * local platform (the demo app as a real process behind its router), the engine recording
 * `sh.slipway.pr.ready` in its log once the deploy run succeeded, and a webhook sink with
 * `on: [pr.ready]` on 127.0.0.1 hearing it with the environment's URL, the pull request and
 * the release; a sink on other topics does not. A redelivered event for the same head deploys
 * nothing and announces nothing again.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import { openSlipway, type Slipway } from '../../src/main.js';
import type { PullRequestEvent } from '../../src/triggers/index.js';
import { startReceiver, until, type Receiver } from './receiver.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const VERSIONS = fileURLToPath(new URL('../../examples/demo-app/versions/', import.meta.url));
const COMMIT = 'c'.repeat(40);
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const pipeline = (ready: string, other: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  pullRequests: {template: dev, ttl: 1h}
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: deploy, properties: {strategy: direct}}
  notifications:
    - name: ready
      webhook: {url: '${ready}/ready', secret: '\${secret:HOOK_SECRET}'}
      on: [pr.ready]
    - name: other
      webhook: {url: '${other}/other', secret: '\${secret:HOOK_SECRET}'}
      on: [run.failed]
`;

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanup.push(() => r.close());
  return r;
}

function finished(sw: Slipway, runId: string): Promise<Run> {
  const now = sw.engine.view.runs.get(runId);
  if (now && ['succeeded', 'failed', 'aborted'].includes(now.state)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const on = (r: Run) => {
      if (r.id !== runId) return;
      sw.engine.emitter.off('run:finished', on);
      resolve(r);
    };
    sw.engine.emitter.on('run:finished', on);
  });
}

describe('pr.ready notifications', () => {
  it('a sink with on: [pr.ready] hears once that the environment of a pull request is ready, with its URL', async () => {
    const ready = await receiver();
    const other = await receiver();
    const dir = await mkdtemp(join(tmpdir(), 'slipway-pr-ready-'));
    const sw = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), env: { SLIPWAY_SECRET_HOOK_SECRET: 'hook-secret-0123456789abcdef' }, notify: { baseDelayMs: 50 } });
    cleanup.push(async () => {
      await sw.close();
      await removeDataDir(dir);
    });
    await sw.addPipelineText(pipeline(ready.url, other.url), 'slipway.yaml', dir);

    const event: PullRequestEvent = {
      project: 'shop',
      number: 7,
      action: 'opened',
      commit: COMMIT,
      branch: 'feature-7',
      artifacts: { web: join(VERSIONS, '1.0.0') },
      title: 'Faster checkout',
      author: 'ada',
      url: 'https://github.com/acme/shop/pull/7',
      source: 'api',
      at: sw.clock.now(),
    };
    const opened = await sw.pullRequests.pullRequest(event);
    expect(opened.stage).toBe('pr-7');
    const run = await finished(sw, opened.runId!);
    expect(run.state).toBe('succeeded');

    const [got] = await ready.waitFor(1);
    const view = sw.pullRequests.get('shop', 7);
    const envUrl = view.urls['web'];
    expect(envUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(got!.path).toBe('/ready');
    expect(got!.body).toMatchObject({
      topic: 'pr.ready',
      project: 'shop',
      stage: 'pr-7',
      runId: run.id,
      title: `Pull request #7 is ready in pr-7 at ${envUrl}`,
      pr: { number: 7, environmentUrl: envUrl, url: 'https://github.com/acme/shop/pull/7', title: 'Faster checkout', branch: 'feature-7' },
      release: { id: run.releaseId, artifacts: { web: join(VERSIONS, '1.0.0') } },
      actors: [{ role: 'opened', who: 'ada' }],
    });

    // In the log, written by the engine for the deploy run, with the shape notifications read.
    const logged = await sw.store.events({ project: 'shop', types: ['sh.slipway.pr.ready'] });
    expect(logged.map((e) => e.event.runid)).toEqual([run.id]);
    expect(logged[0]!.event.data).toEqual({
      number: 7,
      stage: 'pr-7',
      environmentUrl: envUrl,
      releaseId: run.releaseId,
      commit: COMMIT,
      branch: 'feature-7',
      title: 'Faster checkout',
      author: 'ada',
      url: 'https://github.com/acme/shop/pull/7',
      expiresAt: view.expiresAt,
    });

    // The same head delivered again (a forge retry) renews the TTL only: no run, no second notice.
    await sw.pullRequests.pullRequest({ ...event, action: 'updated' });
    await until('every delivery recorded', async () => {
      const s = await sw.notifier.status('shop');
      return s.every((x) => x.pending === 0) ? s : undefined;
    });
    expect((await sw.store.events({ project: 'shop', types: ['sh.slipway.pr.ready'] })).length).toBe(1);
    expect(ready.got.length).toBe(1);
    expect(other.got).toEqual([]);
  }, 60_000);
});
