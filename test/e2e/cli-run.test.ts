/** `slipway run` as users call it: the real command, a real data directory, real shell tasks. */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "dev $SLIPWAY_SERVICES" >> log.txt'}}
    - name: hardening
      promotion: manual
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'test "$SLIPWAY_ARTIFACT_BACKEND" != bad'}}
        - {name: approval, kind: approval, properties: {pass: manual}}
    - name: production
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'echo "production $SLIPWAY_ARTIFACT_FRONTEND $SLIPWAY_ARTIFACT_BACKEND" >> log.txt'}}
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-cli-'));
  await writeFile(join(dir, 'slipway.yaml'), yaml);
});
afterEach(async () => {
  await removeDataDir(dir);
});

async function run(...args: string[]) {
  const child = slipway(['run', 'slipway.yaml', '--data', 'data', ...args], dir);
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

interface Outcome {
  release: { id: string; artifacts: Record<string, string> };
  stages: Record<string, { result: string; state: string; tasks: { name: string; result: string }[] }>;
}

describe('slipway run', () => {
  it('does not offer --approve all for an approval policy that needs several people: it says what the policy needs', async () => {
    await writeFile(
      join(dir, 'slipway.yaml'),
      yaml.replace('{name: approval, kind: approval, properties: {pass: manual}}', '{name: approval, kind: approval, properties: {minApprovers: 2}}'),
    );
    expect((await run('--service', 'backend', '--artifact', 'be:1')).code).toBe(0);
    const r = await run('--stage', 'hardening', '--service', 'backend', '--artifact', 'be:1');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/waits for its manual approval 'approval' \(task [^)]+\): .*2/);
    expect(r.stderr).toContain('its approval policy needs 2 distinct approvers');
    expect(r.stderr).not.toContain('--approve all');
  });

  it('takes each service through dev, then both as one release through hardening to production', async () => {
    const fe = await run('--service', 'frontend', '--artifact', 'fe:1.4.2', '--json');
    expect(fe.code, fe.stderr).toBe(0);
    expect(JSON.parse(fe.stdout)).toMatchObject({ release: { artifacts: { frontend: 'fe:1.4.2' } }, stages: { dev: { result: 'pass', state: 'succeeded' } } });
    expect(Object.keys((JSON.parse(fe.stdout) as Outcome).stages)).toEqual(['dev']);
    expect((await run('--service', 'backend', '--artifact', 'be:2.0.1')).code).toBe(0);

    const args = ['--stage', 'hardening', '--service', 'frontend', '--artifact', 'fe:1.4.2', '--service', 'backend', '--artifact', 'be:2.0.1', '--json'];
    const waiting = await run(...args);
    expect(waiting.code).toBe(3);
    expect(waiting.stderr).toMatch(/hardening: run-[0-9a-f]+ waits for its manual approval 'approval'/);
    expect(waiting.stderr).toContain(`approve it with: slipway run slipway.yaml --data data ${args.slice(2, 10).join(' ')} --approve all`);
    expect((JSON.parse(waiting.stdout) as Outcome).stages['hardening']!.state).toBe('waiting');

    const approved = await run(...args, '--approve', 'all');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).toContain('resuming release');
    const out = JSON.parse(approved.stdout) as Outcome;
    expect(out.release.artifacts).toEqual({ backend: 'be:2.0.1', frontend: 'fe:1.4.2' });
    expect(out.stages).toEqual({
      hardening: { result: 'pass', state: 'succeeded', run: expect.any(String), tasks: [{ name: 'deploy', result: 'pass' }, { name: 'approval', result: 'pass' }] },
      production: { result: 'pass', state: 'succeeded', run: expect.any(String), tasks: [{ name: 'deploy', result: 'pass' }] },
    });
  });

  it('exits 1 with the failing task in the JSON when a task fails', async () => {
    await run('--service', 'backend', '--artifact', 'bad');
    const r = await run('--stage', 'hardening', '--service', 'backend', '--artifact', 'bad', '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Outcome;
    expect(out.stages['hardening']).toMatchObject({ result: 'fail', state: 'failed', tasks: [{ name: 'deploy', result: 'fail' }, { name: 'approval', result: 'none' }] });
    expect(r.stderr).toMatch(/^release rel-[0-9a-f]+ failed in hardening \(deploy: command failed with exit code 1\); passed: dev; not reached: production$/m);
  });

  it("prints a failed shell task's last lines of output and the path of its log", async () => {
    await writeFile(join(dir, 'slipway.yaml'), yaml.replace(`'echo "dev $SLIPWAY_SERVICES" >> log.txt'`, `'seq 1 15; echo "no such image: $SLIPWAY_ARTIFACT_FRONTEND" >&2; exit 127'`));
    const r = await run('--service', 'frontend', '--artifact', 'fe:9');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("fail  command failed with exit code 127 (a shell's code for a command not found)");
    expect(r.stderr).toContain('its last 10 lines of output:');
    expect(r.stderr).toMatch(/^ +7\n(?: +\d+\n){8} +no such image: fe:9\n +full log: /m);
    const log = /full log: (\S+)/.exec(r.stderr)![1]!;
    expect(log.startsWith(join(dir, 'data', 'tasks'))).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain('no such image: fe:9');
    expect(r.stderr).toMatch(/^release rel-[0-9a-f]+ failed in dev \(deploy: command failed with exit code 127 .*\); not reached: hardening, production$/m);
  });

  it.each([
    [['--service', 'frontend', '--artifact', 'x', '--stage', 'prod'], "stage 'prod' is not defined in project 'shop'; defined stages: dev, hardening, production"],
    [['--service', 'mobile', '--artifact', 'x'], "service 'mobile' is not declared by project 'shop'; declared services: frontend, backend"],
    [['--service', 'frontend'], '--service and --artifact come in pairs: got 1 --service and 0 --artifact'],
    [['--service', 'frontend', '--artifact', 'x', '--stage', 'hardening'], "frontend=x has not passed 'dev'"],
  ])('refuses %j with one line naming the problem and exit code 2', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses an invalid pipeline file naming the line and field', async () => {
    await writeFile(join(dir, 'slipway.yaml'), yaml.replace('promotion: manual', 'promotion: sometimes'));
    const r = await run('--service', 'frontend', '--artifact', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/slipway\.yaml:11:\d+: spec\.stages\[1\]\.promotion/);
    expect(r.stderr).toContain('sometimes');
  });

  it('exits 2 on a usage error (an unknown option, a missing option value), 0 for --help', async () => {
    const unknown = await run('--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const missing = slipway(['trigger', '--project'], dir);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toContain("option '--project <name>' argument missing");
    const help = slipway(['run', '--help'], dir);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toContain('Usage: slipway run');
  });
});

/** The README's old first steps: production follows dev by itself and waits for a manual approval. */
const approvals = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'true'}}
    - name: hardening
      tasks:
        - {name: deploy, kind: shell, properties: {run: 'true'}}
    - name: production
      tasks:
        - {name: approval, kind: approval, properties: {pass: manual}}
        - {name: deploy, kind: shell, properties: {run: 'echo "production $SLIPWAY_SERVICES" >> log.txt'}}
`;

describe('slipway run when the release cannot move', () => {
  it('names the runs ahead in the queue, their approvals and the commands that answer them, and exits 3; those commands let it through', async () => {
    await writeFile(join(dir, 'slipway.yaml'), approvals);
    for (const [service, artifact] of [['frontend', 'fe:1.4.2'], ['backend', 'be:2.0.1']] as const) {
      const r = await run('--service', service, '--artifact', artifact);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/production: run-[0-9a-f]+ waits for its manual approval 'approval' \(task run-[0-9a-f]+\.approval\.1\)/);
      expect(r.stderr).toMatch(/^release rel-[0-9a-f]+ waiting in production; passed: dev, hardening$/m);
    }

    const bracket = ['--stage', 'hardening', '--service', 'frontend', '--artifact', 'fe:1.4.2', '--service', 'backend', '--artifact', 'be:2.0.1', '--approve', 'all'];
    for (let attempt = 0; attempt < 2; attempt++) {
      // The first time it queues in production behind both; run again, it says the same instead of waiting forever.
      const blocked = await run(...bracket);
      expect(blocked.code, blocked.stderr).toBe(3);
      expect(blocked.stderr).toMatch(/production: queued behind run-[0-9a-f]+ \(release rel-[0-9a-f]+: frontend=fe:1\.4\.2\), which waits for its manual approval 'approval'/);
      expect(blocked.stderr).toMatch(/production: queued behind run-[0-9a-f]+ \(release rel-[0-9a-f]+: backend=be:2\.0\.1\), which waits for its manual approval 'approval'/);
      expect(blocked.stderr).toContain('approve it with: slipway run slipway.yaml --data data --service frontend --artifact fe:1.4.2 --approve all');
      expect(blocked.stderr).toContain('approve it with: slipway run slipway.yaml --data data --service backend --artifact be:2.0.1 --approve all');
    }

    // The commands it names, as printed.
    const named = [...(await run(...bracket)).stderr.matchAll(/approve it with: slipway run (.+)$/gm)].map((m) => m[1]!.split(' '));
    expect(named).toHaveLength(2);
    for (const args of named) {
      const child = slipway(['run', ...args], dir);
      expect((await child.exited).code, child.stderr()).toBe(0);
    }
    const through = await run(...bracket, '--json');
    expect(through.code, through.stderr).toBe(0);
    expect((JSON.parse(through.stdout) as Outcome).stages['production']).toMatchObject({ result: 'pass', state: 'succeeded' });
    expect(readFileSync(join(dir, 'log.txt'), 'utf8').trim().split('\n')).toEqual(['production frontend', 'production backend', 'production backend,frontend']);
  });
});

const DEMO_APP = fileURLToPath(new URL('../../examples/demo-app/versions/1.0.0', import.meta.url));

describe('slipway run after a fatal error', () => {
  it('exits 2 with the error although it had adopted deployed processes (it used to hang)', async () => {
    await writeFile(join(dir, 'slipway.yaml'), 'apiVersion: slipway/v1\nkind: Pipeline\nmetadata: {name: web}\nspec:\n  services: [web]\n  stages:\n    - name: prod\n      tasks:\n        - {name: deploy, kind: deploy, properties: {strategy: direct}}\n');
    const deployed = await run('--service', 'web', '--artifact', DEMO_APP);
    expect(deployed.code, deployed.stderr).toBe(0);
    const platform = join(dir, 'data', 'platform');
    const pids = (JSON.parse(readFileSync(join(platform, 'supervisor.json'), 'utf8')) as { instances: { pid: number }[] }).instances.map((i) => i.pid);
    // The router port the next run must reopen is taken by another program.
    const { port } = (JSON.parse(readFileSync(join(platform, 'services.json'), 'utf8')) as { port: number }[])[0]!;
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    try {
      const r = await run('--service', 'web', '--artifact', DEMO_APP);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
    } finally {
      taken.close();
      // The deployed version keeps serving after slipway run, as a deployment would: stop it.
      for (const pid of pids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});

describe('slipway run on a data directory another process holds', () => {
  it('exits 2 naming the holder, and goes ahead once that holder is dead (even killed with -9)', async () => {
    const server = await startServerProcess(['slipway.yaml', '--data', 'data'], dir, { SLIPWAY_ADMIN_TOKEN: 'slw_e2e-admin-token-0123456789abcdef' });
    try {
      const refused = await run('--service', 'frontend', '--artifact', 'fe:1');
      expect(refused.code).toBe(2);
      // No closing backtick: on PostgreSQL (SLIPWAY_TEST_STORE) the command goes on with `--store …`.
      expect(refused.stderr).toContain(`is in use by pid ${server.proc.pid}: \`slipway server --port 0 slipway.yaml --data data`);
      expect(refused.stderr).toContain('slipway trigger');
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      server.proc.kill('SIGKILL');
      await new Promise((r) => (server.proc.exitCode !== null || server.proc.signalCode !== null ? r(null) : server.proc.once('exit', r)));
    }
    const after = await run('--service', 'frontend', '--artifact', 'fe:1', '--json');
    expect(after.code, after.stderr).toBe(0);
    expect((JSON.parse(after.stdout) as Outcome).stages['dev']).toMatchObject({ result: 'pass' });
  });
});
