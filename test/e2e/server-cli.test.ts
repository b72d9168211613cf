/**
 * Slipway as a service: the real server process on 127.0.0.1, driven by the real CLI and
 * by the example outside executor.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const EXECUTOR = fileURLToPath(new URL('../../examples/executor/executor.mjs', import.meta.url));
const ADMIN = 'slw_e2e-admin-token-0123456789abcdef';

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  outsideKinds: [test]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'test "$SLIPWAY_ARTIFACT_FRONTEND" != bad'}}
    - name: hardening
      promotion: manual
      tasks:
        - {name: deploy, kind: noop}
        - {name: test, kind: test, timeout: 1m}
    - name: production
      tasks:
        - {name: approval, kind: approval, properties: {pass: manual}}
        - {name: deploy, kind: noop}
`;

let dir: string;
let server: ServerProcess;
const executors: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-server-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
  server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
});
afterAll(async () => {
  for (const e of executors) e.kill('SIGKILL');
  const code = await server.stop();
  expect(code).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], token = ADMIN) {
  const child = slipway(args, dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: join(dir, 'no-config.json') });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

async function taskState(runId: string, task: string): Promise<string | undefined> {
  const res = await fetch(`${server.url}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const run = (await res.json()) as { tasks?: { name: string; state: string }[] };
  return run.tasks?.find((x) => x.name === task)?.state;
}

function executor(command: string, leaseMs = 30000): ChildProcess {
  const p = spawn(process.execPath, [EXECUTOR, '--server', server.url, '--kind', 'test', '--command', command, '--lease-ms', String(leaseMs), '--name', `e2e-${executors.length}`], {
    cwd: dir,
    env: { ...process.env, SLIPWAY_TOKEN: ADMIN },
    stdio: 'ignore',
  });
  executors.push(p);
  return p;
}

const bracket = ['--project', 'shop', '--service', 'frontend', '--artifact', 'fe:1.4.2', '--service', 'backend', '--artifact', 'be:2.0.1'];

describe('slipway server with the CLI', () => {
  it('takes a two-service release from dev to production, with an outside executor and an approval', async () => {
    const fe = await cli(['trigger', '--project', 'shop', '--service', 'frontend', '--artifact', 'fe:1.4.2', '--wait']);
    expect(fe.code, fe.stderr + fe.stdout).toBe(0);
    expect((await cli(['trigger', '--project', 'shop', '--service', 'backend', '--artifact', 'be:2.0.1', '--wait'])).code).toBe(0);

    const exec = executor('echo "tested $SLIPWAY_SERVICES" && test -n "$SLIPWAY_ARTIFACT_BACKEND"');
    const started = await cli(['trigger', ...bracket, '--stage', 'hardening', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { releaseId } = JSON.parse(started.stdout) as { releaseId: string; runId: string };

    // Production waits for a manual approval: approve it through the CLI while `watch` follows.
    const watching = cli(['watch', releaseId, '--project', 'shop']);
    let approved = false;
    for (let i = 0; i < 100 && !approved; i++) {
      const runs = JSON.parse((await cli(['runs', '--project', 'shop', '--stage', 'production', '--json'])).stdout) as { runs: { id: string; state: string }[] };
      const waiting = runs.runs.find((r) => r.state === 'waiting');
      if (waiting) {
        const a = await cli(['approve', waiting.id, '--comment', 'ship it']);
        expect(a.code, a.stderr).toBe(0);
        approved = true;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    expect(approved).toBe(true);
    const watched = await watching;
    expect(watched.code, watched.stderr + watched.stdout).toBe(0);
    exec.kill('SIGTERM');
    await new Promise((r) => (exec.exitCode !== null ? r(null) : exec.once('exit', r)));

    const status = JSON.parse((await cli(['status', '--project', 'shop', '--json'])).stdout) as {
      project: string;
      stages: { name: string; services: { service: string; artifact: string; release: string; state: string; since: number }[] }[];
    };
    const prod = status.stages.find((s) => s.name === 'production')!;
    expect(prod.services.map((s) => [s.service, s.artifact, s.release, s.state]).sort()).toEqual([
      ['backend', 'be:2.0.1', releaseId, 'succeeded'],
      ['frontend', 'fe:1.4.2', releaseId, 'succeeded'],
    ]);
    const hardening = JSON.parse((await cli(['runs', '--project', 'shop', '--stage', 'hardening', '--json'])).stdout) as { runs: { id: string }[] };
    const byService = JSON.parse((await cli(['runs', '--project', 'shop', '--stage', 'hardening', '--service', 'backend', '--json'])).stdout) as { runs: { id: string; services: string[] }[] };
    expect(byService.runs.map((r) => r.id)).toEqual([hardening.runs[0]!.id]);
    expect(JSON.parse((await cli(['runs', '--project', 'shop', '--service', 'nothing', '--json'])).stdout)).toMatchObject({ runs: [] });
    const run = JSON.parse((await cli(['run', hardening.runs[0]!.id, '--json'])).stdout) as { tasks: { name: string; result: string; message: string }[] };
    expect(run.tasks.find((t) => t.name === 'test')).toMatchObject({ result: 'pass' });
  });

  it('watch exits 1 when the run fails; rollback puts the last good release back', async () => {
    const t = await cli(['trigger', '--project', 'shop', '--service', 'frontend', '--artifact', 'bad', '--json']);
    const { runId } = JSON.parse(t.stdout) as { runId: string };
    const w = await cli(['watch', runId]);
    expect(w.code).toBe(1);
    expect(w.stdout).toMatch(new RegExp(`^run ${runId} failed in dev \\(deploy: command failed with exit code 1\\)$`, 'm'));
    const waited = await cli(['trigger', '--project', 'shop', '--service', 'frontend', '--artifact', 'bad', '--wait']);
    expect(waited.code).toBe(1);
    // Named: the stage that failed and why, and the stages never reached (not "did not pass: dev, hardening, production").
    expect(waited.stdout).toMatch(/^release rel-[0-9a-f]+ failed in dev \(deploy: command failed with exit code 1\); not reached: hardening, production$/m);
    const rb = await cli(['rollback', '--project', 'shop', '--stage', 'dev', '--reason', 'bad build', '--wait']);
    expect(rb.code, rb.stderr + rb.stdout).toBe(0);
    const status = JSON.parse((await cli(['status', '--project', 'shop', '--json'])).stdout) as { stages: { name: string; services: { service: string; artifact: string; state: string }[] }[] };
    expect(status.stages.find((s) => s.name === 'dev')!.services.find((s) => s.service === 'frontend')).toMatchObject({ artifact: 'fe:1.4.2', state: 'succeeded' });
    const again = await cli(['rollback', '--project', 'shop', '--stage', 'dev']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('nothing to roll back');
  });

  it('an executor killed mid-task lets its lease expire, and the task fails', async () => {
    await cli(['trigger', '--project', 'shop', '--service', 'frontend', '--artifact', 'fe:9', '--wait']);
    await cli(['trigger', '--project', 'shop', '--service', 'backend', '--artifact', 'be:9', '--wait']);
    const doomed = executor('sleep 60', 1500);
    const t = await cli(['trigger', '--project', 'shop', '--stage', 'hardening', '--service', 'frontend', '--artifact', 'fe:9', '--service', 'backend', '--artifact', 'be:9', '--json']);
    const { runId } = JSON.parse(t.stdout) as { runId: string };
    // Killed only once it holds the task: killed before its claim, nobody would ever hold it and
    // the run would wait for a claim, not a lease. Polled over HTTP: a CLI process a poll took up
    // to a second on a loaded CI machine, and 100 of them ran the test out of time.
    const deadline = Date.now() + 30_000;
    let state: string | undefined;
    while ((state = await taskState(runId, 'test')) !== 'started') {
      if (Date.now() > deadline) throw new Error(`task 'test' of ${runId} did not start within 30 s (it is ${state ?? 'not there'}): the executor never claimed it`);
      await new Promise((r) => setTimeout(r, 100));
    }
    doomed.kill('SIGKILL');
    const w = await cli(['watch', runId]);
    expect(w.code).toBe(1);
    const run = JSON.parse((await cli(['run', runId, '--json'])).stdout) as { tasks: { name: string; result: string; message: string }[] };
    expect(run.tasks.find((x) => x.name === 'test')).toMatchObject({ result: 'fail', message: expect.stringContaining('lease') });
  });

  it('slipway run on the data directory the server holds exits 2 naming the server, without hanging', async () => {
    const r = await cli(['run', 'slipway.yaml', '--data', 'data', '--service', 'frontend', '--artifact', 'fe:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is in use by pid ${server.proc.pid}: \`slipway server`);
  });

  it('events --follow prints the recent backlog before it streams; --since picks where it starts', async () => {
    const listed = await cli(['events', '--project', 'shop', '--limit', '1000', '--json']);
    const all = listed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(all.length).toBeGreaterThan(20);
    // Nothing runs now: whatever --follow prints before SIGINT is backlog.
    const follow = async (want: number, ...args: string[]) => {
      const child = slipway(['events', '--project', 'shop', '--follow', '--json', ...args], dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN });
      const seqs = () => child.stdout().trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);
      for (let i = 0; i < 200 && seqs().length < want; i++) await new Promise((r) => setTimeout(r, 50));
      child.proc.kill('SIGINT');
      expect((await child.exited).code).toBe(0);
      return seqs();
    };
    expect(await follow(20)).toEqual(all.slice(-20));
    expect(await follow(all.length - 3, '--since', String(all[3]))).toEqual(all.slice(3));
    expect(await follow(all.length, '--since', '1h')).toEqual(all);
  });

  it('a token without the scope is refused with one line and a non-zero exit', async () => {
    const created = await cli(['token', 'create', 'reader', '--scope', 'read', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    expect((await cli(['status', '--project', 'shop'], token)).code).toBe(0);
    const denied = await cli(['trigger', '--project', 'shop', '--service', 'frontend', '--artifact', 'x'], token);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    expect(denied.stderr).toContain('scope');
    const unknown = await cli(['status', '--project', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("project 'nope'");
  });
});
