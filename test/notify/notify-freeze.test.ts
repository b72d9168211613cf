/**
 * Freeze windows starting and ending, heard by a sink, with a fake clock: the core writes no
 * event when a window opens or closes, so the notices come from the calendar. A recurring
 * window Friday 16:00 Europe/Berlin for 64 hours ends Monday 08:00 local, across the clock
 * change of that weekend; a sink filtered to another stage hears nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/engine/index.js';
import { openSlipway } from '../../src/main.js';
import { freezeNotices } from '../../src/notify/index.js';
import { startReceiver, until } from './receiver.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Friday 2026-03-27 16:00 CET is 15:00 UTC; Monday 2026-03-30 08:00 CEST is 06:00 UTC. */
const STARTS = Date.parse('2026-03-27T15:00:00Z');
const ENDS = Date.parse('2026-03-30T06:00:00Z');
const H = 3_600_000;

const yaml = (url: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
    - name: production
      tasks: [{name: deploy, kind: noop}]
  freezes:
    - {name: weekend, stages: [production], cron: '0 16 * * 5', duration: 64h, timeZone: Europe/Berlin, reason: nobody is on call}
  notifications:
    - {name: ops, webhook: {url: '${url}/ops', secret: '\${secret:HOOK_SECRET}'}, on: [freeze.started, freeze.ended]}
    - {name: dev-only, webhook: {url: '${url}/dev', secret: '\${secret:HOOK_SECRET}'}, on: [freeze.started, freeze.ended], stages: [dev]}
`;

describe('freeze notifications', () => {
  it('a sink hears the weekend freeze start on Friday and end on Monday, once each, across a restart', async () => {
    const r = await startReceiver();
    cleanup.push(() => r.close());
    const dir = await mkdtemp(join(tmpdir(), 'slipway-notify-freeze-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const clock = new FakeClock(STARTS - H);
    const env = { SLIPWAY_SECRET_HOOK_SECRET: 'hook-secret-0123456789abcdef' };
    let sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), clock, env });
    await sw.addPipelineText(yaml(r.url), 'slipway.yaml', dir);
    // The calendar is read from now on: nothing before it is announced.
    await until('the freeze cursor', () => sw.store.notifyCursor('freeze:shop'));

    clock.advance(H - 1);
    expect(r.got).toHaveLength(0);
    clock.advance(2);
    const [started] = await r.waitFor(1);
    expect(started!.path).toBe('/ops');
    expect(started!.body).toMatchObject({
      topic: 'freeze.started',
      time: '2026-03-27T15:00:00.000Z',
      reason: 'nobody is on call',
      freeze: { window: 'weekend', stages: ['production'], timeZone: 'Europe/Berlin', start: STARTS, end: ENDS },
    });
    expect(started!.body['title']).toContain("Freeze 'weekend' started: production takes no new runs until 2026-03-30 08:00");

    await until('the start recorded as delivered', async () => (await sw.notifier.status('shop')).find((s) => s.sink === 'ops' && s.delivered === 1));

    // Down over the weekend; the window ends while Slipway is away and is announced when it is back.
    await sw.close();
    clock.advance(ENDS + H - clock.now());
    sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), clock, env });
    cleanup.push(() => sw.close());
    const both = await r.waitFor(2);
    expect(both[1]!.body).toMatchObject({ topic: 'freeze.ended', time: '2026-03-30T06:00:00.000Z' });
    expect(both[1]!.headers['x-slipway-delivery']).toBe(`shop/ops/freeze:weekend:${STARTS}:ended`);
    const ops = await until('both recorded', async () => (await sw.notifier.status('shop')).find((s) => s.sink === 'ops' && s.delivered === 2));
    expect(ops.pending).toBe(0);
    expect(r.got.map((g) => g.path)).toEqual(['/ops', '/ops']);
  });

  it('the calendar gives one started and one ended notice per occurrence, in time order', () => {
    const w = { name: 'nightly', stages: ['*'], appliesTo: 'automation' as const, timeZone: 'UTC', when: { kind: 'recurring' as const, cron: '0 22 * * *', durationMs: 8 * H } };
    const from = Date.parse('2026-05-01T12:00:00Z');
    const got = freezeNotices('shop', [w], from, from + 2 * 24 * H);
    expect(got.map((n) => `${n.topic} ${new Date(n.at).toISOString().slice(5, 16)}`)).toEqual([
      'freeze.started 05-01T22:00',
      'freeze.ended 05-02T06:00',
      'freeze.started 05-02T22:00',
      'freeze.ended 05-03T06:00',
    ]);
    expect(got[0]!.title).toBe("Freeze 'nightly' started: every stage takes no new runs for automation until 2026-05-02 06:00 UTC");
  });
});
