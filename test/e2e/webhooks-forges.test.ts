/**
 * GitHub and GitLab webhooks over real HTTP, with the payloads of their published examples
 * and the signature (GitHub) or token (GitLab) as they send it: each event maps to a
 * release through the project's trigger rules, with commit, commit time, first commit time
 * and author; a pull or merge request goes to the pull-request environments when the
 * server has them, and is answered and left alone when it does not.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullRequestEvent } from '../../src/triggers/index.js';
import { signGitHub } from '../../src/triggers/index.js';
import type { HookServer } from '../triggers/support/hook-server.js';
import { SECRET, removeDir, startHookServer, tempDir } from '../triggers/support/hook-server.js';

const SHOP = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web, backend, api]
  webhook: {secret: '\${secret:SHOP_HOOK}'}
  triggers:
    - {on: tag, tag: 'backend/v*'}
    - {on: tag, tag: 'v*', artifacts: {api: 'registry.example/api:\${version}'}}
    - {on: push, branch: master, artifacts: {web: 'registry.example/web:\${shortCommit}'}}
    - {on: workflow_run, workflow: test, artifacts: {api: 'registry.example/api:\${commit}'}}
    - {on: workflow_run, branch: master, artifacts: {api: 'registry.example/api:ci-\${shortCommit}'}}
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
`;

/** The same project with pull-request environments declared: pull and merge requests go to them. */
const withPullRequests = (name: string): string => SHOP.replace('metadata: {name: shop}', `metadata: {name: ${name}}`).replace('  stages:\n', '  pullRequests: {template: dev, ttl: 1h}\n  stages:\n');

const payload = (name: string): string => readFileSync(join(import.meta.dirname, '../triggers/payloads', `${name}.json`), 'utf8');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function provenanceOf(s: HookServer, releaseId: unknown): Promise<Record<string, unknown>> {
  return (await s.slipway.store.getRelease(String(releaseId)))!.provenance as Record<string, unknown>;
}

describe('GitHub webhooks', () => {
  let dir: string;
  let s: HookServer;
  beforeAll(async () => {
    dir = await tempDir();
    s = await startHookServer({ dir, pipelines: [SHOP, withPullRequests('shop-pr')] });
  });
  afterAll(async () => {
    await s.stop();
    await removeDir(dir);
  });

  const github = (event: string, body: string, o: { delivery?: string; secret?: string; project?: string } = {}) =>
    post(`${s.url}/api/v1/hooks/${o.project ?? 'shop'}/github`, { 'x-github-event': event, 'x-github-delivery': o.delivery ?? randomUUID(), 'x-hub-signature-256': signGitHub(o.secret ?? SECRET, body) }, body);

  it('a push to master makes the release its rule builds, with the commit, its time and author', async () => {
    const r = await github('push', payload('github-push'));
    expect(r.status).toBe(202);
    const release = await s.slipway.store.getRelease(String(r.body['releaseId']));
    expect(release?.artifacts).toEqual({ web: 'registry.example/web:6113728' });
    expect(await provenanceOf(s, r.body['releaseId'])).toMatchObject({
      source: 'github',
      commit: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      commitTime: Date.parse('2019-05-15T15:19:25Z'),
      firstCommitTime: Date.parse('2019-05-15T15:19:25Z'),
      author: 'Codertocat',
    });
    expect((await s.slipway.store.getRun(String(r.body['runId'])))?.stage).toBe('dev');
  });

  it('a pushed tag backend/v1.2.3 becomes backend:1.2.3 by the default mapping', async () => {
    const body = payload('github-push').replace('"refs/heads/master"', '"refs/tags/backend/v1.2.3"');
    const r = await github('push', body);
    expect(r.status).toBe(202);
    expect((await s.slipway.store.getRelease(String(r.body['releaseId'])))?.artifacts).toEqual({ backend: 'backend:1.2.3' });
  });

  it('a workflow run that succeeded makes a release of its commit; one still running is answered and ignored', async () => {
    const r = await github('workflow_run', payload('github-workflow-run'));
    expect(r.status).toBe(202);
    expect((await s.slipway.store.getRelease(String(r.body['releaseId'])))?.artifacts).toEqual({ api: 'registry.example/api:3484a3fb816e0859fd6e1cea078d76385ff50625' });
    expect(await provenanceOf(s, r.body['releaseId'])).toMatchObject({ source: 'github', author: 'Matthias Fax', commitTime: Date.parse('2020-10-05T16:32:07Z') });
    const before = await s.counts('shop');
    const running = await github('workflow_run', payload('github-workflow-run').replace('"action": "completed"', '"action": "in_progress"'));
    expect(running.status).toBe(202);
    expect(running.body).toMatchObject({ outcome: 'ignored' });
    expect(await s.counts('shop')).toMatchObject({ releases: before.releases, runs: before.runs });
  });

  it('the same X-GitHub-Delivery again answers 200 with the same ids and creates nothing', async () => {
    const delivery = randomUUID();
    const body = payload('github-push').replace('"refs/heads/master"', '"refs/tags/backend/v1.3.0"');
    const first = await github('push', body, { delivery });
    const before = await s.counts('shop');
    const again = await github('push', body, { delivery });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, releaseId: first.body['releaseId'], runId: first.body['runId'] });
    expect(await s.counts('shop')).toEqual(before);
  });

  it('a wrong X-Hub-Signature-256 is 401 and writes nothing', async () => {
    const before = await s.counts('shop');
    const r = await github('push', payload('github-push'), { secret: 'someone-else' });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'BAD_SIGNATURE', field: 'x-hub-signature-256' });
    expect(await s.counts('shop')).toEqual(before);
  });

  it('a push no rule takes is 422 UNMAPPABLE_PAYLOAD naming the rules and where they are; recorded as rejected, nothing else', async () => {
    const before = await s.counts('shop');
    const r = await github('push', payload('github-push').replace('"refs/heads/master"', '"refs/heads/feature/x"'));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'UNMAPPABLE_PAYLOAD' });
    expect(String(r.body['message'])).toMatch(/push to branch 'feature\/x' at 6113728 matches none/);
    expect(String(r.body['message'])).toMatch(/on push branch 'master' at slipway\.yaml:\d+:\d+/);
    expect(await s.counts('shop')).toEqual({ ...before, deliveries: before.deliveries + 1 });
  });

  it('a pull request without pull-request environments is answered 202, saying so, and creates nothing', async () => {
    const before = await s.counts('shop');
    const r = await github('pull_request', payload('github-pull-request-opened'));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ outcome: 'ignored' });
    expect(String(r.body['message'])).toMatch(/pull-request environments are not configured for project 'shop'/);
    expect(await s.counts('shop')).toMatchObject({ releases: before.releases, runs: before.runs });
  });

  it('once pull-request environments are wired in, a pull request is handed to them', async () => {
    const seen: PullRequestEvent[] = [];
    s.slipway.webhooks.usePullRequests({ pullRequest: async (e) => (seen.push(e), { stage: `pr-${e.number}` }) });
    try {
      const r = await github('pull_request', payload('github-pull-request-opened'), { project: 'shop-pr' });
      expect(r.body).toMatchObject({ outcome: 'forwarded' });
      expect(seen).toEqual([
        expect.objectContaining({ project: 'shop-pr', number: 2, action: 'opened', commit: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', branch: 'changes', author: 'Codertocat', url: 'https://github.com/Codertocat/Hello-World/pull/2', source: 'github', artifacts: {} }),
      ]);
    } finally {
      s.slipway.webhooks.usePullRequests(undefined);
    }
  });

  it('ping is answered without a release; an event Slipway does not act on is 422', async () => {
    const ping = await github('ping', JSON.stringify({ zen: 'Encourage flow.', hook_id: 2472869 }));
    expect(ping.status).toBe(202);
    expect(String(ping.body['message'])).toMatch(/ping/);
    const issues = await github('issues', JSON.stringify({ action: 'opened' }));
    expect(issues.status).toBe(422);
    expect(String(issues.body['message'])).toMatch(/subscribe the webhook to push, create/);
  });
});

describe('GitLab webhooks', () => {
  let dir: string;
  let s: HookServer;
  const prs: PullRequestEvent[] = [];
  beforeAll(async () => {
    dir = await tempDir();
    s = await startHookServer({ dir, pipelines: [withPullRequests('shop')], pullRequests: { pullRequest: async (e) => (prs.push(e), { stage: `pr-${e.number}` }) } });
  });
  afterAll(async () => {
    await s.stop();
    await removeDir(dir);
  });

  const gitlab = (event: string, body: string, o: { uuid?: string; token?: string } = {}) =>
    post(`${s.url}/api/v1/hooks/shop/gitlab`, { 'x-gitlab-event': event, 'x-gitlab-event-uuid': o.uuid ?? randomUUID(), 'x-gitlab-token': o.token ?? SECRET }, body);

  it('a push makes a release with the first commit time of the push and the head commit author', async () => {
    const r = await gitlab('Push Hook', payload('gitlab-push'));
    expect(r.status).toBe(202);
    expect((await s.slipway.store.getRelease(String(r.body['releaseId'])))?.artifacts).toEqual({ web: 'registry.example/web:da15608' });
    expect(await provenanceOf(s, r.body['releaseId'])).toMatchObject({
      source: 'gitlab',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      commitTime: Date.parse('2012-01-03T23:36:29+02:00'),
      firstCommitTime: Date.parse('2011-12-12T14:27:31+02:00'),
      author: 'GitLab dev user',
    });
  });

  it('a tag push v1.0.0 makes api:1.0.0 through the v* rule', async () => {
    const r = await gitlab('Tag Push Hook', payload('gitlab-tag-push'));
    expect(r.status).toBe(202);
    expect((await s.slipway.store.getRelease(String(r.body['releaseId'])))?.artifacts).toEqual({ api: 'registry.example/api:1.0.0' });
    expect(await provenanceOf(s, r.body['releaseId'])).toMatchObject({ commit: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', author: 'John Smith' });
  });

  it('a pipeline that succeeded on master makes a release of its commit', async () => {
    const r = await gitlab('Pipeline Hook', payload('gitlab-pipeline'));
    expect(r.status).toBe(202);
    expect((await s.slipway.store.getRelease(String(r.body['releaseId'])))?.artifacts).toEqual({ api: 'registry.example/api:ci-bcbb5ec' });
    const failed = await gitlab('Pipeline Hook', payload('gitlab-pipeline').replace('"status": "success"', '"status": "failed"'));
    expect(failed.body).toMatchObject({ outcome: 'ignored' });
  });

  it('a merge request is handed to the pull-request environments as a PullRequestEvent', async () => {
    const r = await gitlab('Merge Request Hook', payload('gitlab-merge-request'));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ outcome: 'forwarded' });
    expect(String(r.body['message'])).toMatch(/stage pr-1/);
    expect(prs).toHaveLength(1);
    expect(prs[0]).toMatchObject({ project: 'shop', number: 1, action: 'opened', commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', branch: 'ms-viewport', title: 'MS-Viewport', author: 'root', source: 'gitlab', url: 'http://example.com/diaspora/merge_requests/1' });
    const merged = await gitlab('Merge Request Hook', payload('gitlab-merge-request').replace('"action": "open"', '"action": "merge"'));
    expect(merged.status).toBe(202);
    expect(prs[1]).toMatchObject({ action: 'closed', merged: true });
  });

  it('a wrong X-Gitlab-Token is 401, a repeated X-Gitlab-Event-UUID 200 with the same ids', async () => {
    const before = await s.counts('shop');
    const wrong = await gitlab('Push Hook', payload('gitlab-push'), { token: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(await s.counts('shop')).toEqual(before);
    const uuid = randomUUID();
    const body = payload('gitlab-tag-push').replace('refs/tags/v1.0.0', 'refs/tags/v1.1.0');
    const first = await gitlab('Tag Push Hook', body, { uuid });
    expect(first.status).toBe(202);
    const again = await gitlab('Tag Push Hook', body, { uuid });
    expect(again.status).toBe(200);
    expect(again.body['runId']).toBe(first.body['runId']);
  });
});
