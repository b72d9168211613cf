/**
 * The Azure Pipelines scenario through a real `slipway server` and the real CLI: dev takes
 * every build that CI announces through the signed artifact webhook
 * (`POST /api/v1/hooks/{project}/artifact`), test takes the newest release that passed dev at
 * 03:00 Berlin time every morning (the server's clock is a file the test moves), and
 * pre-production only by hand. A release that fails dev never reaches test; the next fire
 * time shows in status.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signArtifact } from '../../src/triggers/index.js';
import type { EventRow } from './schedule-support.js';
import { ScheduledServer } from './schedule-support.js';

const ADMIN = 'slw_e2e-admin-token-azure-scenario-0123456';
const HOOK_SECRET = 'azure-scenario-hook-secret-0123456789abcdef';
const at = (iso: string): number => Date.parse(iso);

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  webhook: {secret: '\${secret:SHOP_HOOK}'}
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'case "$SLIPWAY_ARTIFACT_WEB" in *bad*) echo "broken build" >&2; exit 1;; esac; echo "$SLIPWAY_ARTIFACT_WEB" > dev.txt'}}
    - name: test
      promotion: {schedule: {cron: "0 3 * * *", timezone: Europe/Berlin}}
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "$SLIPWAY_ARTIFACT_WEB" > test.txt'}}
    - name: preprod
      promotion: manual
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "$SLIPWAY_ARTIFACT_WEB" > preprod.txt'}}
`;

let dir: string;
let s: ScheduledServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-azure-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  s = new ScheduledServer(dir, ADMIN);
  await setTime(at('2026-06-01T10:00:00Z'));
  await s.start();
  // Set as a person would (slipway secret set): stored sealed, never in slipway.yaml.
  await s.api('/api/v1/secrets/SHOP_HOOK', { method: 'PUT', body: { value: HOOK_SECRET }, status: 201 });
}, 60_000);

afterAll(async () => {
  if (s?.server) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

let now = 0;
async function setTime(ms: number): Promise<void> {
  now = ms;
  await s.setTime(ms);
}

interface HookAnswer {
  status: number;
  body: { releaseId?: string; runId?: string; duplicate?: boolean };
}

/** What CI sends after a good build: signed with the server's (file) clock, as a sender in sync with it would. */
async function announce(artifact: string, commit: string, delivery: string = randomUUID()): Promise<HookAnswer> {
  // The server reads its clock file every few ms; sign only once it is there (freezes report its "now").
  await s.until('the server clock at the time set', async () => ((await s.api<{ now: number }>('/api/v1/projects/shop/freezes')).now >= now ? true : undefined));
  const body = JSON.stringify({ artifacts: { web: artifact }, commit, commitTime: new Date(now - 600_000).toISOString(), author: 'ci' });
  const ts = Math.floor(now / 1000);
  const res = await fetch(`${s.server!.url}/api/v1/hooks/shop/artifact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slipway-timestamp': String(ts), 'x-slipway-delivery': delivery, 'x-slipway-signature': signArtifact(HOOK_SECRET, ts, body) },
    body,
  });
  return { status: res.status, body: (await res.json()) as HookAnswer['body'] };
}

interface Status {
  stages: { name: string; services: { artifact: string | null; release: string | null }[]; schedule?: { next: { utc: string; local: string } | null; last: { fired: boolean; releaseId: string | null } | null } }[];
}

describe('the Azure Pipelines scenario', () => {
  it('dev on every artifact webhook, test at 03:00 Berlin with the newest good dev release, pre-production only by hand', async () => {
    const st = await s.api<Status>('/api/v1/projects/shop/status');
    expect(st.stages.find((x) => x.name === 'test')?.schedule?.next).toEqual({ at: at('2026-06-02T01:00:00Z'), utc: '2026-06-02T01:00:00.000Z', local: '2026-06-02 03:00 CEST' });
    const auto = await s.api<{ stages: unknown[] }>('/api/v1/projects/shop/automation');
    expect(auto.stages).toEqual([
      { stage: 'dev', promotion: 'auto', selection: 'matchUpstream', schedule: null, hold: null },
      {
        stage: 'test',
        promotion: 'schedule',
        selection: 'newest',
        schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin', onlyIfNew: false, missed: 'run-once', next: { at: at('2026-06-02T01:00:00Z'), utc: '2026-06-02T01:00:00.000Z', local: '2026-06-02 03:00 CEST' }, last: null },
        hold: null,
      },
      { stage: 'preprod', promotion: 'manual', selection: null, schedule: null, hold: null },
    ]);
    const shown = await s.cli(['status', '--project', 'shop']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("test: scheduled '0 3 * * *' Europe/Berlin, next 2026-06-02 01:00 UTC (2026-06-02 03:00 CEST)");

    // Three builds during the day, each announced by CI's webhook: the first two pass dev, the third fails there.
    const ids: string[] = [];
    const deliveries: string[] = [];
    for (const [i, artifact] of ['web:1.0.0', 'web:1.1.0', 'web:1.2.0-bad'].entries()) {
      await setTime(at('2026-06-01T10:00:00Z') + (i + 1) * 3_600_000);
      deliveries.push(`build-${i + 1}`);
      const r = await announce(artifact, `c0ffee${i}`.padEnd(40, '0'), deliveries[i]);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      ids.push(r.body.releaseId!);
      const run = await s.runIn('shop', 'dev', ids[i]!, i === 2 ? 'failed' : 'succeeded');
      expect(run.id).toBe(r.body.runId);
    }
    expect((await s.runs('shop')).filter((r) => r.stage !== 'dev')).toEqual([]);
    // CI retrying a delivery is not a second build.
    const again = await announce('web:1.1.0', 'c0ffee1'.padEnd(40, '0'), deliveries[1]);
    expect(again).toMatchObject({ status: 200, body: { releaseId: ids[1] } });
    expect((await s.runs('shop')).length).toBe(3);
    const r1 = await s.api<{ artifacts: Record<string, string>; provenance: Record<string, unknown> }>(`/api/v1/projects/shop/releases/${ids[1]}`);
    expect(r1.artifacts).toEqual({ web: 'web:1.1.0' });
    expect(r1.provenance).toMatchObject({ commit: 'c0ffee1'.padEnd(40, '0') });

    // 02:59 Berlin: nothing yet. 03:00: the newest good dev release, 1.1.0, enters test.
    await setTime(at('2026-06-02T00:59:00Z'));
    await setTime(at('2026-06-02T01:00:00Z'));
    const testRun = await s.runIn('shop', 'test', ids[1]!);
    expect(testRun.origin).toBe('automation');
    expect(await readFile(join(dir, 'test.txt'), 'utf8')).toBe('web:1.1.0\n');
    const fired = await s.events('shop', 'sh.slipway.schedule.fired');
    expect(fired.map((e: EventRow) => e.event.data)).toEqual([
      expect.objectContaining({ stage: 'test', releaseId: ids[1], runId: testRun.id, dueAt: at('2026-06-02T01:00:00Z'), next: at('2026-06-03T01:00:00Z'), selection: 'newest' }),
    ]);

    // Pre-production is manual: the release passed test and only waits there.
    const promotable = await s.until('release promotable into preprod', async () =>
      (await s.events('shop', 'sh.slipway.release.promotable')).find((e) => e.event.data['stage'] === 'preprod' && e.event.data['releaseId'] === ids[1]),
    );
    expect(promotable.event.data['reason']).toBeUndefined();
    expect((await s.runs('shop')).filter((r) => r.stage === 'preprod')).toEqual([]);
    const p = await s.cli(['promote', '--project', 'shop', '--release', ids[1]!, '--stage', 'preprod']);
    expect(p.code, p.stderr).toBe(0);
    const pre = await s.runIn('shop', 'preprod', ids[1]!);
    expect(pre.origin).toBe('person');
    expect(await readFile(join(dir, 'preprod.txt'), 'utf8')).toBe('web:1.1.0\n');

    // The next day's build reaches test the next morning; preprod stays where a person put it.
    await setTime(at('2026-06-02T09:00:00Z'));
    const next = await announce('web:1.3.0', 'c0ffee3'.padEnd(40, '0'));
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    const r4 = next.body.releaseId!;
    await s.runIn('shop', 'dev', r4);
    await setTime(at('2026-06-03T01:00:00Z'));
    await s.runIn('shop', 'test', r4);
    const after = await s.api<Status>('/api/v1/projects/shop/status');
    const byStage = Object.fromEntries(after.stages.map((x) => [x.name, x.services[0]?.artifact]));
    expect(byStage).toEqual({ dev: 'web:1.3.0', test: 'web:1.3.0', preprod: 'web:1.1.0' });
    expect(after.stages.find((x) => x.name === 'test')?.schedule).toMatchObject({ next: { utc: '2026-06-04T01:00:00.000Z' }, last: { fired: true, releaseId: r4 } });
  }, 120_000);
});
