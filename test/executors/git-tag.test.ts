/**
 * git-tag on a real bare repository made here (`git init --bare`) with a working clone that
 * commits: the tag moves, carries its record, never goes back to an older release, survives
 * a race with another mover (made deterministic by a pre-push hook that pushes first), and
 * a redelivered task pushes nothing.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PastRun } from '../../src/engine/executor.js';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { createGitTagExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';
import { formatTagMessage, parseTagMessage } from '../../src/executors/git/index.js';
import { finished } from './helpers.js';

const executor = createGitTagExecutor();
const T0 = Date.UTC(2026, 11, 3, 6, 0);
let root: string;
let remote: string;
let work: string;
let commits: string[];
const contexts: MockExecutorContext[] = [];

const gitIn = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }).trim();

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-gittag-'));
  remote = join(root, 'remote.git');
  work = join(root, 'work');
  gitIn(root, 'init', '--bare', '--quiet', remote);
  gitIn(root, 'clone', '--quiet', remote, work);
  commits = [];
  for (let i = 1; i <= 3; i++) {
    writeFileSync(join(work, 'file.txt'), `version ${i}\n`);
    gitIn(work, 'add', '.');
    gitIn(work, 'commit', '--quiet', '-m', `commit ${i}`);
    commits.push(gitIn(work, 'rev-parse', 'HEAD'));
  }
  gitIn(work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
});

afterEach(() => {
  for (const c of contexts.splice(0)) c.dispose();
  rmSync(root, { recursive: true, force: true });
});

interface Mover {
  commit?: string;
  release?: string;
  run?: string;
  at?: number;
  stage?: string;
  props?: Record<string, unknown>;
  artifacts?: Record<string, string>;
  workDir?: string;
  approvals?: PastRun['tasks'];
}

function mover(m: Mover): MockExecutorContext {
  const run = m.run ?? `run-${m.release ?? 'rel-1'}`;
  const ctx = mockExecutorContext({
    now: m.at ?? T0,
    ...(m.workDir ? { workDir: m.workDir } : {}),
    task: { name: 'git-tag', kind: 'git-tag', triggeredAt: m.at ?? T0, properties: { repository: remote, tagPrefix: 'env/', ...m.props } },
    run: {
      id: run,
      project: 'shop',
      stage: m.stage ?? 'dev',
      releaseId: m.release ?? 'rel-1',
      artifacts: m.artifacts ?? { app: 'app:1' },
      provenance: m.commit === undefined ? {} : { commit: m.commit },
    },
  });
  const tasks = m.approvals ?? [];
  Object.assign(ctx, { runs: async () => [{ id: run, releaseId: m.release ?? 'rel-1', sequence: 'delivery', state: 'running', queuedAt: T0, tasks }] satisfies PastRun[] });
  contexts.push(ctx);
  return ctx;
}

/** What the remote's tag points to and the record in its message. */
function remoteTag(tag: string) {
  const object = gitIn(remote, 'rev-parse', `refs/tags/${tag}`);
  const type = gitIn(remote, 'cat-file', '-t', object);
  const body = gitIn(remote, 'cat-file', 'tag', object);
  return { object, type, commit: gitIn(remote, 'rev-parse', `refs/tags/${tag}^{commit}`), message: body.slice(body.indexOf('\n\n') + 2), record: parseTagMessage(body) };
}

describe('git-tag executor', () => {
  it('moves the annotated tag env/<stage> to the release commit and records release, run and approvers', async () => {
    const ctx = mover({
      commit: commits[0]!,
      approvals: [
        { name: 'approve', kind: 'approval', result: 'pass', message: 'approved by alice, bob: ship it' },
        { name: 'deploy', kind: 'deploy', result: 'pass', message: 'deployed' },
      ],
    });
    const out = finished(await executor.execute(ctx));
    expect(out.result).toBe('pass');
    expect(out.message).toContain(`moved env/dev to ${commits[0]!.slice(0, 12)}`);
    const tag = remoteTag('env/dev');
    expect(tag.type).toBe('tag');
    expect(tag.commit).toBe(commits[0]);
    expect(tag.message).toContain('release rel-1 passed stage dev (project shop)');
    expect(tag.record).toMatchObject({ releaseId: 'rel-1', runId: 'run-rel-1', taskId: ctx.task.id, approvedBy: ['alice', 'bob'], taggedAt: T0, stage: 'dev', project: 'shop' });
  });

  it('a later release moves the tag on, and an older one arriving late leaves it where it is', async () => {
    finished(await executor.execute(mover({ commit: commits[0]!, release: 'rel-1', at: T0 })));
    const second = finished(await executor.execute(mover({ commit: commits[1]!, release: 'rel-2', at: T0 + 60_000 })));
    expect(second.message).toContain(`(was ${commits[0]!.slice(0, 12)}, rel-1)`);
    expect(remoteTag('env/dev').commit).toBe(commits[1]);
    // A mover triggered before rel-2's (a slow, redelivered or retried task) must not move it back.
    const late = finished(await executor.execute(mover({ commit: commits[0]!, release: 'rel-0', at: T0 + 30_000 })));
    expect(late.result).toBe('pass');
    expect(late.message).toContain('a newer release (rel-2');
    expect(remoteTag('env/dev').commit).toBe(commits[1]);
  });

  it('a rollback to an older commit moves the tag back: newer means the later mover, not the later commit', async () => {
    finished(await executor.execute(mover({ commit: commits[2]!, release: 'rel-3', at: T0 })));
    finished(await executor.execute(mover({ commit: commits[0]!, release: 'rel-1', at: T0 + 60_000 })));
    expect(remoteTag('env/dev').commit).toBe(commits[0]);
  });

  it('a redelivered task finds its own tag and pushes nothing', async () => {
    const workDir = mkdtempSync(join(root, 'wd-'));
    const first = mover({ commit: commits[0]!, workDir });
    finished(await executor.execute(first));
    const before = remoteTag('env/dev').object;
    const again = mover({ commit: commits[0]!, workDir, at: T0 + 5_000 });
    Object.assign(again.task, { id: first.task.id, triggeredAt: first.task.triggeredAt });
    const out = finished(await executor.execute(again));
    expect(out.message).toContain('moved by this task before');
    expect(remoteTag('env/dev').object).toBe(before);
  });

  it('in a monorepo with perService, each service of the release gets env/<stage>/<service>', async () => {
    const ctx = mover({ commit: commits[1]!, stage: 'production', artifacts: { backend: 'b:2', frontend: 'f:2' }, props: { perService: true } });
    const out = finished(await executor.execute(ctx));
    expect(out.output?.['tags']).toHaveLength(2);
    for (const service of ['backend', 'frontend']) {
      const tag = remoteTag(`env/production/${service}`);
      expect(tag.commit).toBe(commits[1]);
      expect(tag.record).toMatchObject({ service, stage: 'production', releaseId: 'rel-1' });
    }
    expect(() => gitIn(remote, 'rev-parse', '--verify', '--quiet', 'refs/tags/env/production')).toThrow();
  });

  it('a release without a commit fails clearly and is not retried', async () => {
    const err = await executor.execute(mover({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toMatch(/release rel-1 records no commit.*--commit SHA/);
  });

  it('a commit the repository does not have fails clearly', async () => {
    const err = await executor.execute(mover({ commit: 'f'.repeat(40) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toContain(`commit ${'f'.repeat(40)} of release rel-1 is not in`);
  });

  it('checks its properties when the pipeline loads', () => {
    expect(executor.validate!({})).toEqual([expect.objectContaining({ field: 'repository' })]);
    expect(executor.validate!({ repository: 'x', tagPrefix: 'env /', perService: 'yes' }).map((p) => p.field).sort()).toEqual(['perService', 'tagPrefix']);
  });

  describe('racing another mover', () => {
    /**
     * The interloper's tag is prepared in a repository of its own; the mover's pre-push hook
     * pushes it to the remote once, between the mover's read and its push: the mover's lease
     * is stale, it must read again and decide on what it finds.
     */
    function interloper(commit: string, release: string, at: number): string {
      const dir = join(root, `interloper-${release}`);
      gitIn(root, 'clone', '--quiet', '--bare', remote, dir);
      const file = join(root, `msg-${release}`);
      writeFileSync(file, formatTagMessage({ project: 'shop', stage: 'dev', releaseId: release, runId: `run-${release}`, taskId: `task-${release}`, approvedBy: [], taggedAt: at }));
      gitIn(dir, 'tag', '-f', '-a', '-F', file, 'env/dev', commit);
      return dir;
    }

    function armHook(workDir: string, taskId: string, from: string): void {
      const dir = join(workDir, 'git-tag', taskId.replace(/[^A-Za-z0-9._-]/g, '_'));
      mkdirSync(dir, { recursive: true });
      gitIn(dir, 'init', '--bare', '--quiet', dir);
      const hook = join(dir, 'hooks', 'pre-push');
      const done = join(root, `hook-done-${taskId.replace(/\W/g, '_')}`);
      writeFileSync(hook, `#!/bin/sh\n[ -e '${done}' ] && exit 0\ntouch '${done}'\nunset $(git rev-parse --local-env-vars)\ngit -C '${from}' push --quiet --force '${remote}' refs/tags/env/dev:refs/tags/env/dev\n`);
      chmodSync(hook, 0o755);
    }

    it('a newer release that pushes between our read and our push wins; we leave its tag', async () => {
      const workDir = mkdtempSync(join(root, 'wd-'));
      const ctx = mover({ commit: commits[0]!, release: 'rel-old', at: T0, workDir });
      armHook(workDir, ctx.task.id, interloper(commits[2]!, 'rel-new', T0 + 1000));
      const out = finished(await executor.execute(ctx));
      expect(out.message).toContain('a newer release (rel-new');
      expect(remoteTag('env/dev')).toMatchObject({ commit: commits[2], record: { releaseId: 'rel-new' } });
    });

    it('an older release that pushes between our read and our push loses: we read again and move the tag', async () => {
      const workDir = mkdtempSync(join(root, 'wd-'));
      const ctx = mover({ commit: commits[2]!, release: 'rel-new', at: T0 + 1000, workDir });
      armHook(workDir, ctx.task.id, interloper(commits[0]!, 'rel-old', T0));
      const out = finished(await executor.execute(ctx));
      expect(out.message).toContain(`moved env/dev to ${commits[2]!.slice(0, 12)} (was ${commits[0]!.slice(0, 12)}, rel-old)`);
      expect(remoteTag('env/dev')).toMatchObject({ commit: commits[2], record: { releaseId: 'rel-new' } });
    });

    it('two movers started together end with the newer release on the tag, whichever pushes first', async () => {
      for (let round = 0; round < 4; round++) {
        const at = T0 + round * 10_000;
        const older = mover({ commit: commits[round % 3]!, release: `rel-a${round}`, at });
        const newer = mover({ commit: commits[(round + 1) % 3]!, release: `rel-b${round}`, at: at + 1 });
        const order = round % 2 === 0 ? [older, newer] : [newer, older];
        const outs = await Promise.all(order.map((c) => executor.execute(c)));
        for (const o of outs) expect(finished(o).result).toBe('pass');
        expect(remoteTag('env/dev')).toMatchObject({ commit: commits[(round + 1) % 3], record: { releaseId: `rel-b${round}` } });
      }
    });
  });
});
