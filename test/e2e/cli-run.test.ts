/** `slipway run` as users call it: the real command, a real data directory, real shell tasks. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slipway } from './support/slipway-process.js';

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
  await rm(dir, { recursive: true, force: true });
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
  it('takes each service through dev, then both as one release through hardening to production', async () => {
    const fe = await run('--service', 'frontend', '--artifact', 'fe:1.4.2', '--json');
    expect(fe.code, fe.stderr).toBe(0);
    expect(JSON.parse(fe.stdout)).toMatchObject({ release: { artifacts: { frontend: 'fe:1.4.2' } }, stages: { dev: { result: 'pass', state: 'succeeded' } } });
    expect(Object.keys((JSON.parse(fe.stdout) as Outcome).stages)).toEqual(['dev']);
    expect((await run('--service', 'backend', '--artifact', 'be:2.0.1')).code).toBe(0);

    const args = ['--stage', 'hardening', '--service', 'frontend', '--artifact', 'fe:1.4.2', '--service', 'backend', '--artifact', 'be:2.0.1', '--json'];
    const waiting = await run(...args);
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toContain('waits for a manual approval');
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
});
