/**
 * Stage `gitTag: true` through the whole engine: a release with a commit passes dev and then
 * production (after a person approves), and after each stage's tasks succeeded the real bare
 * repository's env/dev and env/production point to the release's commit, production's tag
 * naming who approved. A release without a commit still passes (with a warning): the tag is a
 * record, not a gate.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTagMessage } from '../../src/executors/git/index.js';
import { signal, slipwayHarness } from './support/slipway.js';
import { waitForRunFinished, waitForTaskWaiting } from './support/wait.js';

const harness = slipwayHarness();
let root: string;
let remote: string;
let commit: string;

const gitIn = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-e2e-gittag-'));
  remote = join(root, 'shop.git');
  gitIn(root, 'init', '--bare', '--quiet', remote);
  gitIn(root, 'clone', '--quiet', remote, join(root, 'work'));
  writeFileSync(join(root, 'work', 'app.txt'), 'v1\n');
  gitIn(join(root, 'work'), 'add', '.');
  gitIn(join(root, 'work'), 'commit', '--quiet', '-m', 'v1');
  gitIn(join(root, 'work'), 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  commit = gitIn(join(root, 'work'), 'rev-parse', 'HEAD');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const pipeline = (url: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  repository: {url: ${url}}
  stages:
    - name: dev
      gitTag: true
      tasks:
        - {name: smoke, kind: noop}
    - name: production
      gitTag: true
      tasks:
        - {name: approve, kind: approval}
        - {name: ship, kind: noop}
`;

function tagOf(tag: string) {
  const body = gitIn(remote, 'cat-file', 'tag', `refs/tags/${tag}`);
  return { commit: gitIn(remote, 'rev-parse', `refs/tags/${tag}^{commit}`), record: parseTagMessage(body) };
}

describe('stage gitTag: true', () => {
  it('moves env/<stage> after each stage succeeds, production recording who approved', async () => {
    const { sw } = await harness.open();
    await sw.addPipelineText(pipeline(remote), 'slipway.yaml', root);
    const devDone = waitForRunFinished(sw, { stage: 'dev' }, 30_000);
    const waiting = waitForTaskWaiting(sw, 'production', 'approve', 30_000);
    const { value } = await sw.engine.apply({ type: 'trigger', id: randomUUID(), by: 'ci', project: 'shop', artifacts: { app: 'app:1' }, provenance: { commit } });
    const dev = await devDone;
    expect(dev.state).toBe('succeeded');
    expect(dev.tasks.map((t) => t.name)).toEqual(['smoke', 'git-tag']);
    expect(tagOf('env/dev')).toMatchObject({ commit, record: { stage: 'dev', releaseId: value?.releaseId, runId: dev.id } });
    const prodDone = waitForRunFinished(sw, { stage: 'production' }, 30_000);
    await signal(sw, await waiting, 'approve', 'bob');
    const prod = await prodDone;
    expect(prod.state).toBe('succeeded');
    expect(tagOf('env/production')).toMatchObject({ commit, record: { stage: 'production', runId: prod.id, approvedBy: ['bob'] } });
  }, 60_000);

  it('a release without a commit passes the stage with a warning; the git-tag task says why', async () => {
    const { sw } = await harness.open();
    await sw.addPipelineText(pipeline(remote), 'slipway.yaml', root);
    const devDone = waitForRunFinished(sw, { stage: 'dev' }, 30_000);
    await sw.engine.apply({ type: 'trigger', id: randomUUID(), by: 'ci', project: 'shop', artifacts: { app: 'app:2' } });
    const dev = await devDone;
    expect(dev).toMatchObject({ state: 'succeeded', result: 'warning' });
    const task = dev.tasks.find((t) => t.name === 'git-tag');
    expect(task).toMatchObject({ result: 'fail' });
    expect(task?.message).toContain('records no commit');
    expect(() => gitIn(remote, 'rev-parse', '--verify', '--quiet', 'refs/tags/env/dev')).toThrow();
  }, 60_000);
});
