/**
 * `slipway import keptn` on a real Git repository in Keptn's layout (shipyard.yaml on main, one
 * branch per stage with `<service>/slo.yaml` and its SLI file), built here with the git command;
 * the imported directory is loaded by a real `slipway server`; a release runs with this test as
 * the outside executor for `deployment` and `release`, and each stage's evaluation is scored by
 * that stage's own SLO (values from the router's series: no traffic, so 0 requests, 0 errors —
 * deterministic): dev's SLO (no errors) passes, prod's (at least one request) fails, so prod's
 * release never runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';
import { importKeptnProject } from '../../src/keptn-import/import.js';

const ADMIN = 'slw_e2e-admin-token-keptn-import-0123456789';

const SHIPYARD = `apiVersion: "spec.keptn.sh/0.2.3"
kind: "Shipyard"
metadata:
  name: "shipyard-sockshop"
spec:
  stages:
    - name: "dev"
      sequences:
        - name: "delivery"
          tasks:
            - name: "deployment"
              properties:
                deploymentstrategy: "direct"
            - name: "evaluation"
    - name: "prod"
      sequences:
        - name: "delivery"
          triggeredOn:
            - event: "dev.delivery.finished"
          tasks:
            - name: "deployment"
            - name: "evaluation"
            - name: "release"
`;

const slo = (sli: string, criterion: string) => `spec_version: "0.1.0"
comparison:
  compare_with: "single_result"
  include_result_with_score: "pass"
  aggregate_function: avg
objectives:
  - sli: ${sli}
    pass:
      - criteria:
          - "${criterion}"
total_score:
  pass: "90%"
  warning: "75%"
`;

const SLI = `spec_version: "1.0"
indicators:
  error_count: sum(http_requests_total{status=~"5..", service="$SERVICE"})
  requests: sum(http_requests_total{service="$SERVICE"})
`;

async function keptnRepo(dir: string): Promise<string> {
  const repo = join(dir, 'upstream');
  await mkdir(repo);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  const put = async (path: string, text: string) => {
    await mkdir(join(repo, path, '..'), { recursive: true });
    await writeFile(join(repo, path), text);
    git('add', path);
  };
  git('init', '--quiet', '-b', 'main');
  await put('shipyard.yaml', SHIPYARD);
  git('commit', '--quiet', '-m', 'shipyard');
  // Keptn created each stage branch from main and added the service's resources there.
  git('checkout', '--quiet', '-b', 'dev');
  await put('carts/slo.yaml', slo('error_count', '<=0'));
  await put('carts/prometheus/sli.yaml', SLI);
  await put('carts/helm/carts/Chart.yaml', 'apiVersion: v2\nname: carts\nversion: 0.1.0\n');
  git('commit', '--quiet', '-m', 'dev resources');
  git('checkout', '--quiet', 'main');
  git('checkout', '--quiet', '-b', 'prod');
  await put('carts/slo.yaml', slo('requests', '>=1'));
  await put('carts/sli.yaml', SLI);
  git('commit', '--quiet', '-m', 'prod resources');
  git('checkout', '--quiet', 'main');
  return repo;
}

interface TaskView {
  id: string;
  name: string;
  kind: string;
  state: string;
  result: string | null;
  message: string | null;
}
interface RunView {
  id: string;
  stage: string;
  state: string;
  result: string | null;
  tasks: TaskView[];
}

describe('slipway import keptn', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it("imports a Keptn repository's shipyard and per-stage SLOs; a real server runs a release scored by each stage's SLO", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-import-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const repo = await keptnRepo(dir);

    const imp = slipway(['import', 'keptn', repo, '--project', 'sockshop', '--out', 'project', '--json'], dir);
    const { code } = await imp.exited;
    expect(imp.stderr()).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(imp.stdout()) as { project: string; files: { stage: string; service: string; kind: string; from: string; to: string }[]; tasks: Record<string, { runs: string; kind: string }>; otherFiles: Record<string, string[]> };
    expect(report.project).toBe('sockshop');
    expect(report.files).toEqual([
      { stage: 'dev', service: 'carts', kind: 'sli', from: 'carts/prometheus/sli.yaml', to: 'keptn/dev/carts/sli.yaml' },
      { stage: 'dev', service: 'carts', kind: 'slo', from: 'carts/slo.yaml', to: 'keptn/dev/carts/slo.yaml' },
      { stage: 'prod', service: 'carts', kind: 'sli', from: 'carts/sli.yaml', to: 'keptn/prod/carts/sli.yaml' },
      { stage: 'prod', service: 'carts', kind: 'slo', from: 'carts/slo.yaml', to: 'keptn/prod/carts/slo.yaml' },
    ]);
    expect(report.tasks).toMatchObject({
      deployment: { runs: 'outside', kind: 'deployment' },
      evaluation: { runs: 'built-in', kind: 'evaluation' },
      release: { runs: 'outside', kind: 'keptn.release' },
    });
    expect(report.otherFiles).toEqual({ dev: ['carts/helm/carts/Chart.yaml'] });
    const project = join(dir, 'project');
    expect(await readFile(join(project, 'shipyard.yaml'), 'utf8')).toBe(SHIPYARD);
    expect(await readFile(join(project, 'keptn/prod/carts/slo.yaml'), 'utf8')).toBe(slo('requests', '>=1'));
    expect(await readFile(join(project, 'KEPTN-IMPORT.md'), 'utf8')).toContain('| release | outside executor | `keptn.release` | prod/delivery |');

    // Importing into the same (now full) directory is refused, naming it.
    const again = slipway(['import', 'keptn', repo, '--out', 'project'], dir);
    expect((await again.exited).code).not.toBe(0);
    expect(again.stderr()).toContain('is not empty');

    const server: ServerProcess = await startServerProcess([project, '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
    cleanup.push(() => server.stop());
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    };

    const { releaseId } = await api<{ releaseId: string }>('POST', '/api/v1/projects/sockshop/releases', { artifacts: { carts: 'carts:1.0.0' } });
    // This test is the outside executor: it deploys whatever is claimed, and would release too.
    const claimed: string[] = [];
    const runs = async () => (await api<{ runs: RunView[] }>('GET', `/api/v1/runs?project=sockshop&release=${releaseId}`)).runs;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const all = await runs();
      const prod = all.find((r) => r.stage === 'prod');
      if (prod && ['succeeded', 'failed', 'aborted'].includes(prod.state)) break;
      if (Date.now() > deadline) throw new Error(`the release did not finish within 60 s: ${JSON.stringify(all)}\n${server.stderr()}`);
      const res = await fetch(`${server.url}/api/v1/tasks/claim`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kinds: ['deployment', 'keptn.release'], executor: 'test-helm', waitMs: 1000 }),
      });
      if (res.status === 204) continue;
      const got = (await res.json()) as { task: { id: string; name: string; kind: string }; run: { stage: string }; leaseToken: string };
      claimed.push(`${got.run.stage}/${got.task.name} (${got.task.kind})`);
      await api('POST', `/api/v1/tasks/${got.task.id}/finish`, { result: 'pass', message: 'deployed', executor: 'test-helm', leaseToken: got.leaseToken });
    }

    const all = await runs();
    const dev = all.find((r) => r.stage === 'dev')!;
    const prod = all.find((r) => r.stage === 'prod')!;
    expect(claimed).toEqual(['dev/deployment (deployment)', 'prod/deployment (deployment)']);
    expect(dev).toMatchObject({ state: 'succeeded', result: 'pass' });
    const devEvaluation = dev.tasks.find((t) => t.name === 'evaluation')!;
    expect(devEvaluation).toMatchObject({ kind: 'evaluation', result: 'pass' });
    expect(devEvaluation.message).toContain('score 100% (1 of 1) ≥ pass 90%');
    const prodEvaluation = prod.tasks.find((t) => t.name === 'evaluation')!;
    expect(prodEvaluation).toMatchObject({ kind: 'evaluation', result: 'fail' });
    expect(prodEvaluation.message).toMatch(/^score 0% /);
    expect(prod).toMatchObject({ state: 'failed', result: 'fail' });
    // Keptn's release task is the outside executor's, never the built-in release's; it never ran after the failed evaluation.
    expect(prod.tasks.find((t) => t.name === 'release')).toMatchObject({ kind: 'keptn.release', result: null });
  }, 120_000);

  it('reports an SLO that does not load (file:line, not written) and a stage without a branch; refuses a repository without a shipyard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-import-bad-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const repo = await keptnRepo(dir);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('checkout', '--quiet', 'prod');
    await writeFile(join(repo, 'carts/slo.yaml'), 'spec_version: "0.1.0"\nobjectives:\n  - displayName: no sli here\ntotal_score: {pass: "90%"}\n');
    git('commit', '--quiet', '-am', 'broken SLO');
    git('branch', '--quiet', '-D', 'dev');
    git('checkout', '--quiet', 'main');

    const report = await importKeptnProject({ source: repo, out: join(dir, 'out') });
    expect(report.project).toBe('shipyard-sockshop');
    expect(report.missingBranches).toEqual(['dev']);
    expect(report.files.map((f) => f.to)).toEqual(['keptn/prod/carts/sli.yaml']);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(new RegExp(`^${repo}@prod:carts/slo.yaml:3:\\d+: objectives\\[0\\]\\.sli`));
    expect(await readFile(join(dir, 'out', 'KEPTN-IMPORT.md'), 'utf8')).toContain('Stages without a branch: dev.');

    const empty = join(dir, 'empty');
    await mkdir(empty);
    execFileSync('git', ['init', '--quiet', '-b', 'main'], { cwd: empty });
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', 'nothing'], { cwd: empty, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    await expect(importKeptnProject({ source: empty, out: join(dir, 'out2') })).rejects.toThrow("has no shipyard.yaml on its default branch (Keptn keeps it there)");
  });

  it('slipway run --sequence runs any sequence of a stage locally: prod\'s evaluation, scored by the imported prod SLO', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-run-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const repo = await keptnRepo(dir);
    expect((await slipway(['import', 'keptn', repo, '--project', 'sockshop', '--out', 'project'], dir).exited).code).toBe(0);

    const wrong = slipway(['run', 'project', '--stage', 'prod', '--sequence', 'remediation', '--service', 'carts', '--artifact', 'carts:1', '--data', 'data'], dir);
    expect((await wrong.exited).code).not.toBe(0);
    expect(wrong.stderr()).toContain("stage 'prod' has no sequence 'remediation'; its sequences: delivery, evaluation");

    const run = slipway(['run', 'project', '--stage', 'prod', '--sequence', 'evaluation', '--service', 'carts', '--artifact', 'carts:1', '--data', 'data', '--json'], dir);
    const { code } = await run.exited;
    expect(run.stderr()).toContain('→ prod (sequence evaluation)');
    const summary = JSON.parse(run.stdout()) as { stages: Record<string, { result: string; tasks: { name: string; result: string }[] }> };
    expect(summary.stages['prod']).toMatchObject({ result: 'fail', tasks: [{ name: 'evaluation', result: 'fail' }] });
    expect(code).toBe(1);
    // --project names the project over slipway.keptn.yaml's and the shipyard's; dev's SLO (no errors) passes.
    const named = slipway(['run', 'project', '--project', 'shipyard-sockshop', '--stage', 'dev', '--sequence', 'evaluation', '--service', 'carts', '--artifact', 'carts:2', '--data', 'data2'], dir);
    expect((await named.exited).code).toBe(0);
  }, 120_000);
});
