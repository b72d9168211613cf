/**
 * Schedules and promotion holds across a restart of a real `slipway server` (its clock is a
 * file the test moves): two 03:00 fires pass while the server is down; the stage with
 * `missed: run-once` fires once, late, at start, the one with `missed: skip` records the
 * skip. A person's promotion of an older release into an automatic stage holds automatic
 * promotion there, survives the restart, shows in status, and `slipway resume-auto` lifts it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduledServer } from './schedule-support.js';

const ADMIN = 'slw_e2e-admin-token-schedule-restart-01234';
const at = (iso: string): number => Date.parse(iso);

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
    - name: staging
      tasks: [{name: deploy, kind: noop}]
    - name: nightly
      after: [staging]
      promotion: {schedule: {cron: "0 3 * * *", timezone: UTC, missed: run-once}}
      tasks: [{name: deploy, kind: noop}]
    - name: report
      after: [staging]
      promotion: {schedule: {cron: "0 3 * * *", timezone: UTC, missed: skip}}
      tasks: [{name: deploy, kind: noop}]
`;

let dir: string;
let s: ScheduledServer;
let alice = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-schedule-restart-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  s = new ScheduledServer(dir, ADMIN);
  await s.setTime(at('2026-06-01T12:00:00Z'));
  await s.start();
  const r = await s.cli(['token', 'create', 'alice', '--scope', 'read', '--scope', 'trigger', '--json']);
  expect(r.code, r.stderr).toBe(0);
  alice = (JSON.parse(r.stdout) as { token: string }).token;
}, 60_000);

afterAll(async () => {
  if (s?.server) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

async function release(artifact: string, time: number): Promise<string> {
  await s.setTime(time);
  const t = await s.cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', artifact, '--json'], alice);
  expect(t.code, t.stderr).toBe(0);
  return (JSON.parse(t.stdout) as { releaseId: string }).releaseId;
}

interface Status {
  stages: { name: string; hold?: { by: string; at: number; releaseId: string; automationWould: string }; schedule?: { next: { utc: string } | null; last: { fired: boolean; reason: string | null } | null } }[];
}

describe('schedules and holds across a restart', () => {
  it('missed fires follow their policy at start; a hold set by an older promotion survives the restart and resume-auto lifts it', async () => {
    const r1 = await release('web:1', at('2026-06-01T12:01:00Z'));
    await s.runIn('shop', 'staging', r1);
    const r2 = await release('web:2', at('2026-06-01T12:02:00Z'));
    await s.runIn('shop', 'staging', r2);

    // alice puts the older r1 back into staging by hand: automatic promotion there holds.
    await s.setTime(at('2026-06-01T12:03:00Z'));
    const p = await s.cli(['promote', '--project', 'shop', '--release', r1, '--stage', 'staging'], alice);
    expect(p.code, p.stderr).toBe(0);
    const held = await s.until('promotion.held', async () => (await s.events('shop', 'sh.slipway.promotion.held'))[0]);
    expect(held.event.data).toMatchObject({ stage: 'staging', releaseId: r1, automationWould: r2, by: 'token:alice', how: 'promote' });
    await s.until('r1 succeeded in staging again', async () => ((await s.runs('shop')).filter((r) => r.stage === 'staging' && r.releaseId === r1 && r.state === 'succeeded').length === 2 ? true : undefined));

    // Down over two 03:00s; up at 09:00 on the 3rd.
    await s.stop();
    await s.setTime(at('2026-06-03T09:00:00Z'));
    await s.start();

    const nightly = await s.runIn('shop', 'nightly', r2);
    expect(nightly.origin).toBe('automation');
    const fired = await s.events('shop', 'sh.slipway.schedule.fired');
    expect(fired.map((e) => e.event.data)).toEqual([expect.objectContaining({ stage: 'nightly', releaseId: r2, late: true, dueAt: at('2026-06-02T03:00:00Z'), next: at('2026-06-04T03:00:00Z') })]);
    expect(fired[0]!.event.time).toBe('2026-06-03T09:00:00.000Z');
    const skipped = await s.until('report skipped', async () => (await s.events('shop', 'sh.slipway.schedule.skipped'))[0]);
    expect(skipped.event.data).toMatchObject({ stage: 'report', code: 'missed', dueAt: at('2026-06-02T03:00:00Z'), next: at('2026-06-04T03:00:00Z') });
    expect(String(skipped.event.data['reason'])).toContain('(and 1 later fire time)');
    expect((await s.runs('shop')).filter((r) => r.stage === 'report')).toEqual([]);

    // The hold came back with the server, with who and when.
    const st = await s.api<Status>('/api/v1/projects/shop/status');
    expect(st.stages.find((x) => x.name === 'staging')?.hold).toEqual({ by: 'token:alice', at: at('2026-06-01T12:03:00Z'), releaseId: r1, automationWould: r2, how: 'promote' });
    expect(st.stages.find((x) => x.name === 'report')?.schedule).toMatchObject({ next: { utc: '2026-06-04T03:00:00.000Z' }, last: { fired: false } });
    const shown = await s.cli(['status', '--project', 'shop']);
    expect(shown.stdout).toContain(`staging: automatic promotion held since 2026-06-01 12:03 UTC by token:alice, who chose release ${r1} over ${r2}; resume with: slipway resume-auto staging --project shop`);

    // While held, a new release passes dev and is only announced for staging.
    const r3 = await release('web:3', at('2026-06-03T09:10:00Z'));
    await s.runIn('shop', 'dev', r3);
    const announced = await s.until('r3 promotable into staging', async () =>
      (await s.events('shop', 'sh.slipway.release.promotable')).find((e) => e.event.data['releaseId'] === r3 && e.event.data['stage'] === 'staging'),
    );
    expect(String(announced.event.data['reason'])).toContain('is held since 2026-06-01T12:03:00.000Z by token:alice');
    expect((await s.runs('shop')).some((r) => r.stage === 'staging' && r.releaseId === r3)).toBe(false);

    // Resuming: by CLI; a second resume is refused with the reason.
    const resumed = await s.cli(['resume-auto', 'staging', '--project', 'shop', '--reason', 'r1 check done'], alice);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`automatic promotion into staging resumed (held since 2026-06-01 12:03 UTC by token:alice, who chose release ${r1})`);
    const again = await s.cli(['resume-auto', 'staging', '--project', 'shop'], alice);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("automatic promotion into stage 'staging' of project 'shop' is not held");
    expect((await s.events('shop', 'sh.slipway.promotion.resumed')).map((e) => e.event.data)).toEqual([expect.objectContaining({ stage: 'staging', by: 'token:alice', heldBy: 'token:alice', heldRelease: r1, reason: 'r1 check done' })]);
    expect((await s.api<Status>('/api/v1/projects/shop/status')).stages.find((x) => x.name === 'staging')?.hold).toBeUndefined();

    const r4 = await release('web:4', at('2026-06-03T09:20:00Z'));
    await s.runIn('shop', 'staging', r4);
  }, 180_000);
});
