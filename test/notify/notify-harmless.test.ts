/**
 * A failing sink is harmless and visible: one that hangs and one that refuses connections
 * never hold a run up (runs finish while their deliveries still fail), show in the status
 * with since when, why and the next retry, and what is queued survives a restart and is
 * delivered once the receiver is back, under the same delivery id.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlipwayEvent } from '../../src/core/index.js';
import { openSlipway, type Slipway } from '../../src/main.js';
import { PR_READY } from '../../src/notify/index.js';
import { waitForRunFinished } from '../e2e/support/wait.js';
import { refusedPort, startReceiver, until, type Receiver } from './receiver.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const ENV = { SLIPWAY_SECRET_HOOK_SECRET: 'hook-secret-0123456789abcdef' };

function project(sinks: { name: string; url: string; on?: string }[]): string {
  return `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
  notifications:
${sinks.map((s) => `    - {name: ${s.name}, webhook: {url: '${s.url}', secret: '\${secret:HOOK_SECRET}'}, on: [${s.on ?? 'stage.reached'}]}`).join('\n')}
`;
}

async function receiver(answers?: (number | 'hang')[], port?: number): Promise<Receiver> {
  const r = await startReceiver(answers, port);
  cleanup.push(() => r.close());
  return r;
}

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-notify-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(dir: string, notify: Parameters<typeof openSlipway>[0]['notify']): Promise<Slipway> {
  const sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), env: ENV, ...(notify ? { notify } : {}) });
  let closed = false;
  cleanup.push(async () => {
    if (!closed) await sw.close();
  });
  const close = sw.close;
  return { ...sw, close: async () => ((closed = true), await close()) };
}

async function release(sw: Slipway, version: string): Promise<string> {
  const done = waitForRunFinished(sw, { stage: 'dev' });
  await sw.engine.apply({ type: 'trigger', id: `t-${version}`, project: 'shop', artifacts: { web: `web:${version}` }, by: 'token:alice' });
  const run = await done;
  expect(run.state).toBe('succeeded');
  return run.id;
}

describe('failing sinks', () => {
  it('a sink that hangs and one that refuses do not hold up runs, and the status shows them failing', async () => {
    const hang = await receiver(['hang']);
    const good = await receiver();
    const refused = await refusedPort();
    const dir = await dataDir();
    // The hanging request outlives the test: its timeout is far away.
    const sw = await open(dir, { timeoutMs: 120_000, baseDelayMs: 60_000 });
    await sw.addPipelineText(project([{ name: 'hang', url: hang.url }, { name: 'refused', url: `http://127.0.0.1:${refused}/` }, { name: 'good', url: good.url }]), 'slipway.yaml', dir);

    await release(sw, '1');
    await hang.waitFor(1);
    // A second and a third release run to the end while the first delivery still hangs.
    await release(sw, '2');
    await release(sw, '3');
    expect(hang.hanging()).toBe(1);
    // The good sink is not held up by the other two.
    const heard = await good.waitFor(3);
    expect(heard.map((h) => (h.body['release'] as { artifacts: Record<string, string> }).artifacts['web'])).toEqual(['web:1', 'web:2', 'web:3']);

    const status = await until('the refused sink to show failing and the good one done', async () => {
      const s = await sw.notifier.status('shop');
      const refusedFails = s.some((x) => x.sink === 'refused' && x.failingSince !== null && x.pending === 3);
      return refusedFails && s.some((x) => x.sink === 'good' && x.delivered === 3) ? s : undefined;
    });
    const by = Object.fromEntries(status.map((s) => [s.sink, s]));
    expect(by['refused']).toMatchObject({ delivered: 0, pending: 3, failed: 0, lastError: 'ECONNREFUSED', attempts: 1 });
    expect(by['refused']!.nextRetry).toBe(by['refused']!.lastErrorAt! + 60_000);
    expect(by['hang']).toMatchObject({ delivered: 0, pending: 3, failingSince: null });
    expect(by['good']).toMatchObject({ delivered: 3, pending: 0, failingSince: null, lastError: null });
  });

  it('queued deliveries survive a restart and reach the receiver once it is back, under the same delivery id', async () => {
    const port = await refusedPort();
    const dir = await dataDir();
    const first = await open(dir, { baseDelayMs: 200 });
    await first.addPipelineText(project([{ name: 'hook', url: `http://127.0.0.1:${port}/in`, on: 'stage.reached, pr.ready' }]), 'slipway.yaml', dir);
    await release(first, '1');
    const queued = await until('the first try to fail', async () => {
      const [row] = await first.store.notifications({ project: 'shop', sink: 'hook', limit: 1 });
      return row && row.attempts >= 1 ? row : undefined;
    });
    expect(queued).toMatchObject({ state: 'pending', lastError: 'ECONNREFUSED' });
    await first.close();

    // The receiver comes up; the restarted Slipway tries the queued row when its retry is due.
    const back = await receiver([200], port);
    const second = await open(dir, { baseDelayMs: 200 });
    const [got] = await back.waitFor(1);
    expect(got!.headers['x-slipway-delivery']).toBe(queued.id);
    expect(got!.body).toMatchObject({ topic: 'stage.reached', stage: 'dev', release: { artifacts: { web: 'web:1' } } });

    // A pull-request environment's ready event (appended by the pull-request environments) is heard too; the first notice is not sent again.
    const ready: SlipwayEvent = {
      specversion: '1.0',
      id: 'pr-7-ready',
      source: '/projects/shop/stages/pr-7',
      type: PR_READY,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      project: 'shop',
      data: { number: 7, stage: 'pr-7', environmentUrl: 'http://127.0.0.1:41007', url: 'https://git.example.com/shop/pull/7', title: 'Faster checkout', author: 'dana' },
    };
    await second.store.commit({ events: [ready], releases: [], runs: [], stagePasses: [], artifactPasses: [], live: [], outboxSettle: [], outboxPut: [], timersPut: [], timersDelete: [] });
    second.notifier.kick();
    const both = await back.waitFor(2);
    expect(both[1]!.body).toMatchObject({ topic: 'pr.ready', stage: 'pr-7', pr: { number: 7, environmentUrl: 'http://127.0.0.1:41007' }, actors: [{ role: 'opened', who: 'dana' }] });
    const s = await until('both delivered', async () => (await second.notifier.status('shop')).find((x) => x.delivered === 2));
    expect(s).toMatchObject({ pending: 0, failed: 0 });
    expect(back.got).toHaveLength(2);
  });

  it('a secret not set yet is a failed try naming it; once set, the retry delivers; a sink removed from slipway.yaml gives up its queue', async () => {
    const r = await receiver();
    const dir = await dataDir();
    const sw = await open(dir, { baseDelayMs: 100 });
    const text = project([{ name: 'hook', url: r.url }]).replace('${secret:HOOK_SECRET}', '${secret:LATER_SECRET}');
    await sw.addPipelineText(text, 'slipway.yaml', dir);
    await release(sw, '1');
    const failing = await until('the missing secret to show', async () => (await sw.notifier.status('shop')).find((s) => s.lastError !== null));
    expect(failing.lastError).toContain("notification sink 'hook': properties.secret refers to secret 'LATER_SECRET', which is not set");
    expect(r.got).toHaveLength(0);
    await sw.secrets.set('LATER_SECRET', 'later-secret-0123456789', 'token:admin');
    await r.waitFor(1);
    await until('delivered', async () => (await sw.notifier.status('shop')).find((s) => s.delivered === 1));

    // The sink goes; what it still had queued is given up, visibly, and nothing is sent.
    const gone = await refusedPort();
    await sw.addPipelineText(project([{ name: 'gone', url: `http://127.0.0.1:${gone}/` }]), 'slipway.yaml', dir);
    await release(sw, '2');
    await until('a try at the gone sink', async () => (await sw.notifier.status('shop')).find((s) => s.sink === 'gone' && s.attempts > 0));
    await sw.addPipelineText(project([{ name: 'hook', url: r.url }]).replace('${secret:HOOK_SECRET}', '${secret:LATER_SECRET}'), 'slipway.yaml', dir);
    const removed = await until('the gone sink given up', async () => (await sw.notifier.status('shop')).find((s) => s.sink === 'gone' && s.failed === 1));
    expect(removed).toMatchObject({ kind: 'removed', pending: 0, lastError: "sink 'gone' is no longer in project shop's slipway.yaml" });
  });
});
