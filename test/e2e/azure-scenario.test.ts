/**
 * The Azure Pipelines scenario through a real `slipway server` and the real CLI: dev takes
 * every new release (here `slipway trigger` and the releases API; the artifact webhook comes
 * to the same input), test takes the newest release that passed dev at 03:00 Berlin time
 * every morning (the server's clock is a file the test moves), and pre-production only by
 * hand. A release that fails dev never reaches test; the next fire time shows in status.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from './schedule-support.js';
import { ScheduledServer } from './schedule-support.js';

const ADMIN = 'slw_e2e-admin-token-azure-scenario-0123456';
const at = (iso: string): number => Date.parse(iso);

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
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
  await s.setTime(at('2026-06-01T10:00:00Z'));
  await s.start();
}, 60_000);

afterAll(async () => {
  if (s?.server) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Status {
  stages: { name: string; services: { artifact: string | null; release: string | null }[]; schedule?: { next: { utc: string; local: string } | null; last: { fired: boolean; releaseId: string | null } | null } }[];
}

describe('the Azure Pipelines scenario', () => {
  it('dev on every release, test at 03:00 Berlin with the newest good dev release, pre-production only by hand', async () => {
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

    // Three builds during the day: the first two pass dev, the third fails there.
    const ids: string[] = [];
    for (const [i, artifact] of ['web:1.0.0', 'web:1.1.0', 'web:1.2.0-bad'].entries()) {
      await s.setTime(at('2026-06-01T10:00:00Z') + (i + 1) * 3_600_000);
      if (i === 1) {
        const r = await s.api<{ releaseId: string }>('/api/v1/projects/shop/releases', { method: 'POST', body: { artifacts: { web: artifact }, commit: 'abc1234' } });
        ids.push(r.releaseId);
      } else {
        const t = await s.cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', artifact, '--json']);
        expect(t.code, t.stderr).toBe(0);
        ids.push((JSON.parse(t.stdout) as { releaseId: string }).releaseId);
      }
      await s.runIn('shop', 'dev', ids[i]!, i === 2 ? 'failed' : 'succeeded');
    }
    expect((await s.runs('shop')).filter((r) => r.stage !== 'dev')).toEqual([]);

    // 02:59 Berlin: nothing yet. 03:00: the newest good dev release, 1.1.0, enters test.
    await s.setTime(at('2026-06-02T00:59:00Z'));
    await s.setTime(at('2026-06-02T01:00:00Z'));
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
    await s.setTime(at('2026-06-02T09:00:00Z'));
    const t = await s.cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:1.3.0', '--json']);
    const r4 = (JSON.parse(t.stdout) as { releaseId: string }).releaseId;
    await s.runIn('shop', 'dev', r4);
    await s.setTime(at('2026-06-03T01:00:00Z'));
    await s.runIn('shop', 'test', r4);
    const after = await s.api<Status>('/api/v1/projects/shop/status');
    const byStage = Object.fromEntries(after.stages.map((x) => [x.name, x.services[0]?.artifact]));
    expect(byStage).toEqual({ dev: 'web:1.3.0', test: 'web:1.3.0', preprod: 'web:1.1.0' });
    expect(after.stages.find((x) => x.name === 'test')?.schedule).toMatchObject({ next: { utc: '2026-06-04T01:00:00.000Z' }, last: { fired: true, releaseId: r4 } });
  }, 120_000);
});
