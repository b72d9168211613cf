/**
 * The pure parts of pull-request environments: the pr-<n> stage the core derives from the
 * template (its own name, no upstream, no promotion out, no env tag), the schema's checks on
 * spec.pullRequests, and the commit-status requests for GitHub and GitLab.
 */
import { describe, expect, it } from 'vitest';
import { findStage, pullRequestStage } from '../../../src/core/index.js';
import { loadPipeline } from '../../../src/spec/index.js';
import { forgeRequest } from '../../../src/triggers/index.js';

const yaml = (pullRequests: string, first = 'dev') => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  repository: {url: /srv/git/shop.git}
  pullRequests: ${pullRequests}
  stages:
    - name: ${first}
      gitTag: true
      watch: {for: 10m}
      alarms: [{name: errors, prometheus: 'http://127.0.0.1:9090'}]
      tasks: [{name: deploy, kind: noop}, {name: smoke, kind: noop}]
    - name: prod
      requireNoAlarms: {stage: ${first}}
      tasks: [{name: deploy, kind: noop}]
`;

describe('the pr-<n> stage', () => {
  it('is derived from the template by name: its tasks, none of its promotion rules, no git tag', () => {
    const { pipeline } = loadPipeline(yaml('{template: prod, ttl: 2h}'), 's.yaml');
    expect(pipeline.pullRequests).toEqual({ template: 'prod', ttlMs: 7_200_000 });
    const pr = findStage(pipeline, 'pr-42')!;
    expect(pr).toMatchObject({ name: 'pr-42', after: [], promotion: 'manual', queue: 'supersede', requireUpstream: false });
    expect(pr.requireNoAlarms).toBeUndefined();
    expect(pr.sequences[0]!.triggeredOn).toEqual([]);
    // prod's implicit upstream-alarms check is dropped: a pull request follows no stage.
    expect(pr.sequences[0]!.steps.flatMap((s) => s.tasks.map((t) => t.name))).toEqual(['deploy']);
    expect(pipeline.stages.map((s) => s.name)).toEqual(['dev', 'prod']);
  });

  it('drops the template gitTag task and watch; is not derived without pullRequests or for other names', () => {
    const { pipeline } = loadPipeline(yaml('{template: dev}'), 's.yaml');
    const pr = pullRequestStage(pipeline, 'pr-1')!;
    expect(pr.sequences[0]!.steps.flatMap((s) => s.tasks.map((t) => t.kind))).toEqual(['noop', 'noop']);
    expect(pr.gitTag).toBeUndefined();
    expect(pr.watch).toBeUndefined();
    expect(pipeline.pullRequests?.ttlMs).toBe(86_400_000);
    for (const name of ['pr-0', 'pr-x', 'pr-1234567890', 'preview']) expect(findStage(pipeline, name)).toBeUndefined();
    expect(findStage({ ...pipeline, pullRequests: undefined }, 'pr-1')).toBeUndefined();
  });

  it('the schema refuses an unknown template and a stage named like a pull request', () => {
    expect(() => loadPipeline(yaml('{template: staging}'), 's.yaml')).toThrow(/pullRequests.template names stage 'staging', which is not defined; defined stages: dev, prod/);
    expect(() => loadPipeline(yaml('{template: prod}', 'pr-3'), 's.yaml')).toThrow(/stage name 'pr-3' is kept for pull-request environments/);
  });
});

describe('commit statuses', () => {
  const status = { commit: 'abc123', stage: 'pr-7', state: 'ready' as const, description: 'environment pr-7 is ready', targetUrl: 'http://127.0.0.1:4000' };

  it('GitHub: POST /repos/{owner}/{repo}/statuses/{sha} with a bearer token', () => {
    const r = forgeRequest({ kind: 'github', api: 'https://api.github.com/', repository: 'acme/shop' }, 'tok', status);
    expect(r.url).toBe('https://api.github.com/repos/acme/shop/statuses/abc123');
    expect(r.headers['authorization']).toBe('Bearer tok');
    expect(JSON.parse(r.body)).toEqual({ state: 'success', context: 'slipway/pr-7', description: 'environment pr-7 is ready', target_url: 'http://127.0.0.1:4000' });
  });

  it('GitLab: POST /projects/{id}/statuses/{sha} with PRIVATE-TOKEN; a failed deploy is failed', () => {
    const { targetUrl: _none, ...withoutUrl } = status;
    const r = forgeRequest({ kind: 'gitlab', api: 'https://gitlab.com/api/v4', repository: 'acme/shop' }, 'tok', { ...withoutUrl, state: 'failed' });
    expect(r.url).toBe('https://gitlab.com/api/v4/projects/acme%2Fshop/statuses/abc123');
    expect(r.headers['private-token']).toBe('tok');
    expect(JSON.parse(r.body)).toEqual({ state: 'failed', name: 'slipway/pr-7', description: 'environment pr-7 is ready' });
  });
});
