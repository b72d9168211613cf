/**
 * Approval policies through the real `slipway server` and the real CLI: tokens with
 * groups, minApprovers 2 refusing the triggerer and a repeated approver, a rule per group,
 * approvals given ahead of a run, a rejection ending a run, and a timeout that passes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-admin-token-approvals-0123456789';

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - {name: sign-off, kind: approval, properties: {minApprovers: 2}}
    - name: staging
      tasks:
        - name: sign-off
          kind: approval
          properties:
            approvers:
              - {groups: [release-managers]}
              - {groups: [qa], min: 2}
    - name: production
      promotion: manual
      after: [staging]
      tasks:
        - {name: sign-off, kind: approval, properties: {minApprovers: 2}}
        - {name: deploy, kind: noop}
    - name: hotfix
      after: []
      tasks:
        - {name: sign-off, kind: approval, properties: {timeout: 1s, onTimeout: pass}}
`;

let dir: string;
let server: ServerProcess;
const tokens: Record<string, string> = {};

/** GET on the server's API as admin: for checks that need no CLI. */
async function get<T>(path: string): Promise<T> {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(r.status, `GET ${path}`).toBe(200);
  return (await r.json()) as T;
}

async function cli(args: string[], token = ADMIN) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const as = (who: string, args: string[]) => cli(args, tokens[who]);

interface Waiting {
  taskId: string;
  runId: string;
  stage: string;
  releaseId: string;
  progress: { summary: string; mayApprove: string; counted: string[] };
  approvals: { by: string; groups: string[]; decision: string; counts: boolean; comment: string | null; ahead: boolean }[];
}

/** Polls GET /api/v1/approvals (with a deadline) until the release's approval in `stage` waits. */
async function waitingIn(stage: string, releaseId: string): Promise<Waiting> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await get<{ approvals: Waiting[] }>('/api/v1/approvals')).approvals.find((a) => a.stage === stage && a.releaseId === releaseId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no approval waited in ${stage} for ${releaseId} within 20 s`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-approvals-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
  const make: [string, string[], string[]][] = [
    ['alice', ['read', 'trigger', 'approve:*'], []],
    ['bob', ['read', 'approve:*'], []],
    ['carol', ['read', 'approve:*'], []],
    ['rita', ['read', 'approve:staging'], ['release-managers']],
    ['quinn', ['read', 'approve:staging'], ['qa']],
    ['quentin', ['read', 'approve:staging'], ['qa', 'ops']],
    ['dave', ['read', 'approve:staging'], ['dev']],
  ];
  for (const [name, scopes, groups] of make) {
    const r = await cli(['token', 'create', name, ...scopes.flatMap((s) => ['--scope', s]), ...groups.flatMap((g) => ['--group', g]), '--json']);
    expect(r.code, r.stderr).toBe(0);
    tokens[name] = (JSON.parse(r.stdout) as { token: string }).token;
  }
}, 60_000);

afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

describe('approval policies through the server and the CLI', () => {
  it('token list shows each token’s groups', async () => {
    const r = await cli(['token', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/quentin\s+read,approve:staging\s+ops,qa\s/);
    expect(r.stdout).toMatch(/bob\s+read,approve:\*\s+-\s/);
  });

  it('takes a release through minApprovers 2, a rule per group and approvals given ahead', async () => {
    const t = await as('alice', ['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const { releaseId, runId } = JSON.parse(t.stdout) as { releaseId: string; runId: string };

    // Ahead of the run: production is approved by bob and carol before the release gets there.
    const early = await as('bob', ['approve', '--release', releaseId, '--stage', 'production', '--comment', 'pre-approved']);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stdout).toContain(`kept your approval of release ${releaseId} in production: counts when release ${releaseId}'s approval task 'sign-off' in stage 'production' waits`);
    expect((await as('carol', ['approve', '--release', releaseId, '--stage', 'production'])).code).toBe(0);
    const twice = await as('carol', ['approve', '--release', releaseId, '--stage', 'production']);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('carol already approved release');
    const aheadOf = async () => (await get<{ ahead: { by: string; stage: string; comment: string | null }[] }>('/api/v1/approvals')).ahead.map((a) => [a.by, a.stage, a.comment]);
    const kept = [
      ['token:bob', 'production', 'pre-approved'],
      ['token:carol', 'production', null],
    ];
    expect(await aheadOf()).toEqual(kept);

    // A restart keeps them: the server folds them back from the log when it loads the release.
    expect(await server.stop()).toBe(0);
    server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    expect(await aheadOf()).toEqual(kept);

    // dev: minApprovers 2; alice triggered the release and cannot count; bob counts once.
    await waitingIn('dev', releaseId);
    const byAlice = await as('alice', ['approve', runId]);
    expect(byAlice.code, byAlice.stderr).toBe(0);
    expect(byAlice.stdout).toContain('but it does not count: alice triggered the release or promoted it into the stage and cannot count');
    const byBob = await as('bob', ['approve', runId, '--comment', 'smoke tests green']);
    expect(byBob.stdout).toContain('still waiting: 1 of 2 approvals (bob); needs 1 more approver; alice triggered the release');
    const again = await as('bob', ['approve', runId]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/bob already approved task 'sign-off' of run run-\w+ at .*; an identity counts once/);
    const dev = await waitingIn('dev', releaseId);
    expect(dev.progress.mayApprove).toBe('anyone with approve scope for the stage, except bob, alice');
    expect(dev.approvals.map((a) => [a.by, a.counts])).toEqual([
      ['token:alice', false],
      ['token:bob', true],
    ]);
    const human = await cli(['approvals']);
    expect(human.stdout).toMatch(/shop\s+dev\s+rel-\S+\s+run-\S+\.sign-off\.1\s+\S+ ago\s+1 of 2 approvals \(bob\)/);
    const byCarol = await as('carol', ['approve', runId]);
    expect(byCarol.code, byCarol.stderr).toBe(0);
    expect(byCarol.stdout).toMatch(/^approved run-\S+\.sign-off\.1: 2 of 2 approvals \(bob, carol\)/);
    const watched = await cli(['watch', runId]);
    expect(watched.code, watched.stdout).toBe(0);
    // watch tells each answer in words, in order.
    expect(watched.stdout).toMatch(/sign-off\s+approval by alice \(does not count\): 0 of 2 approvals; needs 2 more approvers; alice triggered the release or promoted it into the stage and cannot count/);
    expect(watched.stdout).toMatch(/sign-off\s+approval by bob: 1 of 2 approvals \(bob\); needs 1 more approver/);
    expect(watched.stdout).toMatch(/sign-off\s+pass\s+approved by bob, carol/);

    // staging: one from release-managers and two from qa, by the groups of each token.
    const staging = await waitingIn('staging', releaseId);
    const byDave = await as('dave', ['approve', staging.taskId]);
    expect(byDave.stdout).toContain('does not count: dave (groups: dev) is not among the approvers (group release-managers; group qa)');
    expect((await as('quinn', ['approve', staging.taskId])).stdout).toContain('needs 1 more from group release-managers and 1 more from group qa');
    const bobStaging = await as('bob', ['approve', staging.taskId]);
    expect(bobStaging.stdout).toContain('bob (no groups) is not among the approvers');
    expect((await as('rita', ['approve', staging.taskId])).stdout).toContain('still waiting: 2 of 2 approvals (quinn, rita); needs 1 more from group qa');
    const refused = await as('rita', ['approve', '--release', releaseId, '--stage', 'production']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("token 'rita' lacks scope approve:production");
    expect((await as('quentin', ['approve', staging.taskId])).stdout).toMatch(/^approved .*: 3 of 2 approvals \(quinn, rita, quentin\)/);
    expect((await cli(['watch', staging.runId])).code).toBe(0);

    // production: the two approvals given ahead count the moment the promoted run's approval waits.
    const p = await cli(['promote', '--project', 'shop', '--release', releaseId, '--stage', 'production', '--json']);
    expect(p.code, p.stderr).toBe(0);
    const prodRun = (JSON.parse(p.stdout) as { runId: string }).runId;
    expect((await cli(['watch', prodRun])).code).toBe(0);
    const run = await get<{ tasks: { name: string; result: string; message: string }[] }>(`/api/v1/runs/${prodRun}`);
    expect(run.tasks.find((x) => x.name === 'sign-off')).toMatchObject({ result: 'pass', message: 'approved by bob, carol' });
    expect(await aheadOf()).toEqual([]);

    // Each approval is an event naming who, when, the groups and the comment.
    const ev = await get<{ events: { event: { type: string; runid?: string; time: string; data: Record<string, unknown> } }[] }>('/api/v1/events?project=shop&type=sh.slipway.release.approval&limit=1000');
    const approvals = ev.events.map((e) => e.event);
    // dev 3, kept ahead 2, staging 5, counted in production 2: the refused repeats and the 403 left none.
    expect(approvals.length).toBe(12);
    const prodCounted = approvals.filter((e) => e.runid === prodRun).map((e) => [e.data['by'], e.data['ahead'], e.data['comment'] ?? null]);
    expect(prodCounted).toEqual([
      ['token:bob', true, 'pre-approved'],
      ['token:carol', true, null],
    ]);
    expect(approvals.find((e) => e.data['by'] === 'token:quentin')?.data).toMatchObject({ groups: ['ops', 'qa'], counts: true, stage: 'staging', decision: 'approve' });
  }, 300_000);

  it('one rejection, with its comment, ends the run at once', async () => {
    const t = await as('alice', ['trigger', '--project', 'shop', '--service', 'web', '--artifact', 'web:2', '--json']);
    const { releaseId, runId } = JSON.parse(t.stdout) as { releaseId: string; runId: string };
    await waitingIn('dev', releaseId);
    expect((await as('carol', ['approve', runId])).code).toBe(0);
    const no = await as('bob', ['reject', runId, '--comment', 'error budget spent']);
    expect(no.code, no.stderr).toBe(0);
    expect(no.stdout).toMatch(/^rejected run-\S+\.sign-off\.1: rejected by bob: error budget spent$/m);
    const w = await cli(['watch', runId]);
    expect(w.code).toBe(1);
    const run = await get<{ state: string; tasks: { name: string; result: string; message: string }[] }>(`/api/v1/runs/${runId}`);
    expect(run.state).toBe('failed');
    expect(run.tasks[0]).toMatchObject({ result: 'fail', message: 'rejected by bob: error budget spent' });
  });

  it('with timeout and onTimeout: pass, an approval nobody gave passes when the time is up', async () => {
    const t = await as('alice', ['trigger', '--project', 'shop', '--stage', 'hotfix', '--service', 'web', '--artifact', 'web:3', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const { runId } = JSON.parse(t.stdout) as { runId: string };
    const w = await cli(['watch', runId]);
    expect(w.code, w.stdout + w.stderr).toBe(0);
    const run = await get<{ tasks: { name: string; result: string; message: string }[] }>(`/api/v1/runs/${runId}`);
    expect(run.tasks[0]).toMatchObject({ result: 'pass', message: 'no approval decision within 1s: passed (onTimeout: pass)' });
  });

  it('slipway run --approve all answers an approval once: one that needs two approvers leaves the run waiting (exit 3), not hanging', async () => {
    const local = await mkdtemp(join(tmpdir(), 'slipway-approvals-run-'));
    try {
      await writeFile(join(local, 'slipway.yaml'), `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: solo}
spec:
  stages:
    - name: dev
      tasks:
        - {name: sign-off, kind: approval, properties: {minApprovers: 2, allowTriggerer: true}}
`);
      const child = slipway(['run', 'slipway.yaml', '--data', 'data', '--service', 'web', '--artifact', 'web:1', '--approve', 'all'], local);
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(3);
      expect(child.stderr()).toContain('approving dev/sign-off (--approve all)');
      expect(child.stderr()).toMatch(/sign-off\s+approval by cli:--approve all: 1 of 2 approvals \(cli:--approve all\); needs 1 more approver/);
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });
});
