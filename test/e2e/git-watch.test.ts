/**
 * The git watcher on a real bare repository (Debian's git) and a real Slipway on a real
 * SQLite file: the first poll records what exists and releases nothing; new tags and new
 * commits on a watched branch each become one release, with commit, commit time, first
 * commit time and author; a tag pushed while the server was down is released once after
 * the restart and nothing is released twice; an unreachable remote backs off, says so in
 * the status, and recovers by itself.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../api/harness.js';
import type { HookServer } from '../triggers/support/hook-server.js';
import { TOKEN, removeDir, startHookServer, tempDir } from '../triggers/support/hook-server.js';
import type { Repo } from '../triggers/support/git-repo.js';
import { makeRepo } from '../triggers/support/git-repo.js';

const pipeline = (name: string, url: string, interval: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ${name}}
spec:
  services: [backend, web]
  repository: {url: '${url}', watch: {interval: ${interval}}}
  triggers:
    - {on: tag, tag: 'backend/v*'}
    - {on: push, branch: main, artifacts: {web: 'registry.example/web:\${shortCommit}'}}
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
`;

let dir: string;
let repo: Repo;
let s: HookServer;
let pipelines: string[];

async function releases(project: string): Promise<{ artifacts: Record<string, string>; provenance: Record<string, unknown> }[]> {
  const runs = await s.slipway.store.listRuns({ project, limit: 1000 });
  const ids = [...new Set(runs.map((r) => r.releaseId))];
  const out = await Promise.all(ids.map((id) => s.slipway.store.getRelease(id)));
  return out.map((r) => ({ artifacts: { ...r!.artifacts }, provenance: { ...r!.provenance } })).sort((a, b) => JSON.stringify(a.artifacts).localeCompare(JSON.stringify(b.artifacts)));
}

async function pollNow(project: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s.url}/api/v1/projects/${project}/watch/poll`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function watchStatus(project: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${s.url}/api/v1/projects/${project}/watch`);
  return ((await res.json()) as { watch: Record<string, unknown> }).watch;
}

beforeAll(async () => {
  dir = await tempDir();
  repo = makeRepo(dir);
  // History from before the watcher: released (or not) by other means, never by the first poll.
  repo.commit('first', '2026-03-01T09:00:00Z');
  repo.tag('backend/v1.0.0');
  repo.push('main', '--tags');
  pipelines = [pipeline('shop', repo.remote, '1h'), pipeline('broken', join(dir, 'not-yet.git'), '1s')];
  s = await startHookServer({ dir: join(dir, 'data'), pipelines });
});

afterAll(async () => {
  await s.stop();
  await removeDir(dir);
});

describe('the git watcher', () => {
  it('first poll of a repository records its branches and tags and releases nothing', async () => {
    await eventually(async () => (await watchStatus('shop'))['primedAt'] !== null || undefined, 15_000, 'the first poll');
    const st = await watchStatus('shop');
    expect(st).toMatchObject({ state: 'ok', url: repo.remote, intervalMs: 3_600_000, failures: 0 });
    expect(await releases('shop')).toEqual([]);
  });

  it('a new tag and new commits on main each become a release, with commit, times and author', async () => {
    const tagged = repo.git('rev-parse', 'HEAD');
    repo.tag('backend/v1.1.0');
    repo.commit('second', '2026-03-02T10:00:00Z', 'Grace');
    const head = repo.commit('third', '2026-03-02T11:30:00Z', 'Ada');
    repo.push('main', '--tags');
    const r = await pollNow('shop');
    expect(r.status).toBe(200);
    const found = await releases('shop');
    expect(found).toEqual([
      { artifacts: { backend: 'backend:1.1.0' }, provenance: expect.objectContaining({ source: 'watcher', commit: tagged, commitTime: Date.parse('2026-03-01T09:00:00Z'), author: 'Dev', delivery: `refs/tags/backend/v1.1.0@${tagged}` }) as unknown },
      {
        artifacts: { web: `registry.example/web:${head.slice(0, 7)}` },
        provenance: expect.objectContaining({ source: 'watcher', commit: head, commitTime: Date.parse('2026-03-02T11:30:00Z'), firstCommitTime: Date.parse('2026-03-02T10:00:00Z'), author: 'Ada' }) as unknown,
      },
    ]);
    // Polling again finds nothing new.
    await pollNow('shop');
    expect(await releases('shop')).toHaveLength(2);
    const deliveries = await s.slipway.store.listDeliveries({ project: 'shop', limit: 50 });
    expect(deliveries.map((d) => [d.source, d.outcome])).toEqual([
      ['watcher', 'released'],
      ['watcher', 'released'],
    ]);
  });

  it('a tag pushed while the server is down is released once after the restart; a ref recorded late is not released again', async () => {
    await s.stop();
    repo.tag('backend/v1.2.0', false);
    repo.push('--tags');
    s = await startHookServer({ dir: join(dir, 'data'), pipelines });
    await eventually(async () => ((await releases('shop')).length === 3 ? true : undefined), 15_000, 'the release of backend/v1.2.0');
    expect((await releases('shop')).map((r) => r.artifacts)).toContainEqual({ backend: 'backend:1.2.0' });
    // A stop after the release was made but before the ref's new commit was recorded: the next poll sees the ref
    // as new again, finds its delivery, and makes nothing.
    await s.slipway.store.putWatchRefs('shop', { 'refs/tags/backend/v1.2.0': null });
    await pollNow('shop');
    await pollNow('shop');
    expect(await releases('shop')).toHaveLength(3);
    expect(await s.slipway.store.watchRefs('shop')).toHaveProperty(['refs/tags/backend/v1.2.0']);
  });

  it('an unreachable remote backs off, shows it in the status, and recovers once the remote exists', async () => {
    const failed = await pollNow('broken');
    expect(failed.status).toBe(400);
    expect(String(failed.body['message'])).toMatch(/polling .*not-yet\.git failed: git ls-remote failed/);
    const st = await watchStatus('broken');
    expect(st).toMatchObject({ state: 'backing-off' });
    expect(st['failures']).toBeGreaterThanOrEqual(1);
    expect(String(st['lastError'])).toMatch(/ls-remote/);
    // Backing off: the next poll is further away than the interval.
    expect(Number(st['nextPollAt']) - Number(st['lastPollAt'])).toBeGreaterThan(1000);
    const other = makeRepo(join(dir, 'other'));
    other.commit('x', '2026-03-05T08:00:00Z');
    other.push('main');
    // The remote appears where the pipeline points: the watcher gets there by itself.
    rmSync(join(dir, 'not-yet.git'), { recursive: true, force: true });
    execFileSync('git', ['clone', '--bare', '--quiet', other.remote, join(dir, 'not-yet.git')]);
    await eventually(async () => ((await watchStatus('broken'))['state'] === 'ok' ? true : undefined), 20_000, 'the broken project to recover');
    expect(await watchStatus('broken')).toMatchObject({ failures: 0, lastError: null });
    expect(await releases('broken')).toEqual([]);
  });
});
