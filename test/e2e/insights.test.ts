/**
 * DORA through a real `slipway server` and the real CLI: four releases go dev → production
 * (one fails there), a rollback, then a fix. The API's figures, `slipway insights` and the
 * /metrics gauges are compared with what the test works out from the runs' own times.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-insights-0123456789';
const H = 3_600_000;

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
    - name: production
      tasks:
        - name: deploy
          kind: shell
          properties:
            run: 'case "$SLIPWAY_ARTIFACT_WEB" in *bad*) echo broken; exit 1;; esac'
`;

interface RunView {
  id: string;
  stage: string;
  releaseId: string;
  state: string;
  finishedAt: number | null;
}

let dir: string;
let server: ServerProcess;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  expect(r.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Polls until the release's run in `stage` ended (deadline 20 s). */
async function ended(releaseId: string, stage: string, count = 1): Promise<RunView[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { runs } = await api<{ runs: RunView[] }>('GET', `/api/v1/runs?project=shop&stage=${stage}&release=${releaseId}`);
    const done = runs.filter((r) => ['succeeded', 'failed', 'aborted'].includes(r.state));
    if (done.length >= count) return done;
    if (Date.now() > deadline) throw new Error(`release ${releaseId} has not ended in ${stage}: ${JSON.stringify(runs)}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function release(artifact: string, commitTime: number): Promise<{ releaseId: string; dev: RunView; prod: RunView }> {
  const t = await api<{ releaseId: string }>('POST', '/api/v1/projects/shop/releases', { artifacts: { web: artifact }, commit: artifact, commitTime });
  const [dev] = await ended(t.releaseId, 'dev');
  const [prod] = await ended(t.releaseId, 'production');
  return { releaseId: t.releaseId, dev: dev!, prod: prod! };
}

async function cli(args: string[]) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-insights-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('DORA through the server and the CLI', () => {
  it('matches the figures worked out from the runs', async () => {
    const now = Date.now();
    const r1 = await release('web:1', now - 3 * H);
    const r2 = await release('web:2', now - 2 * H);
    const bad = await release('web:bad', now - H);
    expect([r1.prod.state, r2.prod.state, bad.prod.state]).toEqual(['succeeded', 'succeeded', 'failed']);
    // Put the last good release (web:2) back with the CLI.
    const rb = await cli(['rollback', '--project', 'shop', '--stage', 'production', '--reason', 'web:bad fails', '--wait']);
    expect(rb.code, rb.stderr + rb.stdout).toBe(0);
    const back = (await ended(r2.releaseId, 'production', 2)).find((r) => r.id !== r2.prod.id)!;
    // Putting an older release back holds automatic promotion into production; the fix needs it again.
    const resumed = await cli(['resume-auto', 'production', '--project', 'shop', '--reason', 'fix on its way']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    const fix = await release('web:4', now - H / 2);
    expect(fix.prod.state).toBe('succeeded');

    const f = await api<Record<string, unknown> & { from: number; to: number }>('GET', '/api/v1/insights/dora?project=shop');
    // Production deployments: web:1 ok, web:2 ok, web:bad failed, rollback to web:2 ok, web:4 ok (a fix) → 5.
    const successes = 4;
    const days = (f.to - f.from) / (24 * H);
    expect(days).toBe(90);
    expect(f['deploymentFrequency']).toMatchObject({ deployments: successes });
    expect((f['deploymentFrequency'] as { perDay: number }).perDay).toBeCloseTo(successes / 90, 12);
    // Failed: web:bad → 1 of 5. Rework: the rollback and the fix → 2 of 5.
    expect(f['changeFailRate']).toEqual({ rate: 1 / 5, count: 1, deployments: 5 });
    expect(f['deploymentReworkRate']).toEqual({ rate: 2 / 5, count: 2, deployments: 5 });
    // Recovery: web:bad failed → the rollback live.
    expect(f['failedDeploymentRecoveryTime']).toEqual({ medianMs: back.finishedAt! - bad.prod.finishedAt!, deployments: 1, failures: 1, unrecovered: 0 });
    // Lead time: first arrivals in production (web:bad never arrived; the rollback is web:2 again).
    const lead = median([r1.prod.finishedAt! - (now - 3 * H), r2.prod.finishedAt! - (now - 2 * H), fix.prod.finishedAt! - (now - H / 2)]);
    expect(f['changeLeadTime']).toMatchObject({ medianMs: lead, deployments: 3, ignored: 0 });
    // Cycle time to dev: all four releases passed dev.
    const dev = median([r1.dev.finishedAt! - (now - 3 * H), r2.dev.finishedAt! - (now - 2 * H), bad.dev.finishedAt! - (now - H), fix.dev.finishedAt! - (now - H / 2)]);
    expect(f['cycleTime']).toEqual([
      { stage: 'dev', medianMs: dev, deployments: 4, ignored: 0 },
      { stage: 'production', medianMs: lead, deployments: 3, ignored: 0 },
    ]);

    const json = await cli(['insights', '--project', 'shop', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const viaCli = JSON.parse(json.stdout) as Record<string, unknown>;
    expect({ ...viaCli, from: 0, to: 0 }).toEqual({ ...f, from: 0, to: 0 });
    const text = await cli(['insights', '--project', 'shop', '--stage', 'production', '--from', '1d']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/change fail rate\s+20\.0% \(1\)\s+5/);
    expect(text.stdout).toMatch(/deployment rework rate\s+40\.0% \(2\)\s+5/);
    expect(text.stdout).toContain('production stage production');

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('slipway_dora_change_fail_rate{project="shop",stage="production"} 0.2');
    expect(metrics).toContain('slipway_dora_deployments{project="shop",stage="production"} 4');
    expect(metrics).toContain(`slipway_dora_lead_time_seconds{project="shop",stage="production"} ${lead / 1000}`);

    // The rollback and the resume are people's actions: both in the audit log, by the admin token.
    const audit = await api<{ entries: { action: string; actor: string; target: string; details: Record<string, unknown> | null }[] }>('GET', '/api/v1/audit?q=production&order=asc');
    expect(audit.entries.filter((e) => e.action !== 'release.trigger').map((e) => [e.action, e.actor, e.target, e.details?.['reason']])).toEqual([
      ['release.rollback', 'token:admin-env', r2.releaseId, 'web:bad fails'],
      ['promotion.resume-auto', 'token:admin-env', 'production', 'fix on its way'],
    ]);
  });

  it('names a stage the project does not have', async () => {
    const r = await cli(['insights', '--project', 'shop', '--stage', 'prod']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("stage 'prod' is not defined in project 'shop'; defined stages: dev, production");
  });
});
