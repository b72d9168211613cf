/**
 * Freeze windows through a real `slipway server` and the real CLI: a dated window that holds
 * production now (for everyone) and a recurring one that holds dev for automation only. A
 * person's trigger runs dev; the auto promotion into production is held and shows as frozen
 * in the run views, `freeze list`, `status` and `watch`; a non-admin cannot override; an
 * admin's override with a reason lets it go and is an event naming who and why.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-freezes-0123456789ab';
const H = 3_600_000;
/** Local date-time in UTC, to the minute: what `from`/`to` take. */
const local = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

const now = Date.now();
const from = local(now - H);
const to = local(now + 3 * H);

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
    - name: production
      tasks: [{name: deploy, kind: noop}, {name: smoke, kind: noop}]
  freezes:
    - name: release-freeze
      stages: [production]
      from: ${from}
      to: ${to}
      timeZone: UTC
      reason: quarter-end close
    - name: automation-nights
      stages: [dev]
      cron: '* * * * *'
      duration: 1d
      timeZone: Europe/Berlin
      appliesTo: automation
`;

let dir: string;
let server: ServerProcess;
let alice = '';

async function cli(args: string[], token = ADMIN) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

async function api<T>(path: string): Promise<T> {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
}

interface RunView {
  id: string;
  stage: string;
  state: string;
  origin: string | null;
  frozen: { windows: string[]; until: number; reason: string | null } | null;
  freezeOverride: { by: string; reason: string } | null;
}

/** Polls the run list (with a deadline) until `pick` finds a run. */
async function runWhere(pick: (r: RunView) => boolean, what: string): Promise<RunView> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { runs } = await api<{ runs: RunView[] }>('/api/v1/runs?project=shop');
    const found = runs.find(pick);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no run ${what} within 20 s: ${JSON.stringify(runs)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-freeze-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
  const r = await cli(['token', 'create', 'alice', '--scope', 'read', '--scope', 'trigger', '--json']);
  expect(r.code, r.stderr).toBe(0);
  alice = (JSON.parse(r.stdout) as { token: string }).token;
}, 60_000);

afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

describe('freeze windows through the server and the CLI', () => {
  it('holds the auto promotion in a frozen stage, shows it everywhere, and lets an admin override it with a reason', async () => {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:1', '--json'], alice);
    expect(t.code, t.stderr).toBe(0);
    const { runId: devRun } = JSON.parse(t.stdout) as { runId: string };

    // dev's window holds automation only: alice's trigger is a person's and runs.
    const dev = await runWhere((r) => r.id === devRun && r.state === 'succeeded', 'succeeded in dev');
    expect([dev.origin, dev.frozen]).toEqual(['person', null]);

    // The promotion into production is automation, and production is frozen for everyone.
    const held = await runWhere((r) => r.stage === 'production' && r.frozen !== null, 'held in production');
    expect(held.state).toBe('queued');
    expect(held.origin).toBe('automation');
    expect(held.frozen).toMatchObject({ windows: ['release-freeze'], until: Date.parse(`${to}:00Z`), reason: 'quarter-end close' });

    const shown = await cli(['run', held.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`frozen by release-freeze until ${to}:00.000Z: quarter-end close`);
    const listed = await cli(['runs', '--project', 'shop', '--stage', 'production']);
    expect(listed.stdout).toMatch(new RegExp(`${held.id}\\s+shop\\s+production\\s+\\S+\\s+frozen`));

    const list = await cli(['freeze', 'list', '--project', 'shop']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`shop\\s+production\\s+frozen\\s+release-freeze\\s+${to.replace('T', ' ')} UTC\\s+none`));
    expect(list.stdout).toMatch(/shop\s+dev\s+frozen for automation\s+automation-nights\s+not before /);
    expect(list.stdout).toContain(`held: ${held.id} (release `);
    expect(list.stdout).toContain(`in production by release-freeze until ${to.replace('T', ' ')} UTC`);

    const f = await api<{ stages: { stage: string; frozen: boolean; frozenForPeople: boolean; holding: { window: string; start: { utc: string }; end: { utc: string; local: string } }[]; opensAt: { utc: string; atLeast: boolean } | null }[] }>(
      '/api/v1/projects/shop/freezes',
    );
    const prod = f.stages.find((s) => s.stage === 'production')!;
    expect([prod.frozen, prod.frozenForPeople, prod.holding[0]?.window, prod.holding[0]?.end.utc, prod.opensAt]).toEqual([
      true,
      true,
      'release-freeze',
      new Date(`${to}:00Z`).toISOString(),
      { at: Date.parse(`${to}:00Z`), utc: new Date(`${to}:00Z`).toISOString(), local: `${to.replace('T', ' ')} UTC`, atLeast: false },
    ]);
    const devStage = f.stages.find((s) => s.stage === 'dev')!;
    expect([devStage.frozen, devStage.frozenForPeople, devStage.opensAt?.atLeast]).toEqual([true, false, true]);

    const status = await cli(['status', '--project', 'shop']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`production: frozen by release-freeze until ${to.replace('T', ' ')} UTC; held: ${held.id}`);

    // Only an admin may override, and only with a reason.
    const refused = await cli(['freeze', 'override', held.id, '--reason', 'please'], alice);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/admin/);
    const noReason = await fetch(`${server.url}/api/v1/runs/${held.id}/unfreeze`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: '   ' }),
    });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { message: string }).message).toContain('needs a reason');

    const ok = await cli(['freeze', 'override', held.id, '--reason', 'hotfix for the checkout outage']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`run ${held.id} let through the freeze`);

    const watched = await cli(['watch', held.id]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain('frozen by release-freeze until');
    expect(watched.stdout).toMatch(/production\s+freeze release-freeze overridden by token:\S+: hotfix for the checkout outage/);
    expect(watched.stdout).toMatch(/production\s+succeeded/);

    const { events } = await api<{ events: { event: { type: string; data: Record<string, unknown> } }[] }>(`/api/v1/events?run=${held.id}&limit=100`);
    const types = events.map((e) => e.event.type.replace('sh.slipway.run.', ''));
    expect(types.filter((x) => !x.startsWith('sh.'))).toEqual(['queued', 'frozen', 'freeze-overridden', 'started', 'finished']);
    const audit = events.find((e) => e.event.type === 'sh.slipway.run.freeze-overridden')!.event.data;
    expect(audit).toMatchObject({ windows: ['release-freeze'], reason: 'hotfix for the checkout outage' });
    expect(String(audit['by'])).toMatch(/^token:/);

    const after = await runWhere((r) => r.id === held.id, 'after the override');
    expect(after.freezeOverride).toMatchObject({ reason: 'hotfix for the checkout outage', by: audit['by'] });
  }, 60_000);
});
