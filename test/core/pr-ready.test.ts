/**
 * The `pr.ready` input: the core records that a pull request's environment is ready as one
 * `sh.slipway.pr.ready` event of its deploy run, and refuses (changing nothing) a run of
 * another stage or an unknown project.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline, PullRequestReadyData } from '../../src/core/index.js';
import { Harness, pipeline } from './harness.js';

const shop: Pipeline = { ...pipeline('shop', [{ name: 'dev', tasks: [{ name: 'deploy' }] }]), pullRequests: { template: 'dev', ttlMs: 3_600_000 } };
const data = (stage: string, releaseId: string): PullRequestReadyData => ({ number: 7, stage, releaseId, commit: 'c'.repeat(40), branch: 'feature-7', environmentUrl: 'http://127.0.0.1:4100' });

describe('core: pr.ready', () => {
  it("records one event of the environment's deploy run, with the data as given", () => {
    const h = new Harness(shop);
    const t = h.trigger('shop', { web: 'web:1' }, 'pr-7');
    const runId = t.value!.runId!;
    h.drain();
    const before = h.log.length;
    const d = h.decide({ type: 'pr.ready', id: `pr-ready:${runId}`, project: 'shop', runId, data: data('pr-7', t.value!.releaseId!), by: 'pull-requests' });
    expect(d.error).toBeUndefined();
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({ type: 'sh.slipway.pr.ready', project: 'shop', runid: runId, source: '/projects/shop/stages/pr-7', data: data('pr-7', t.value!.releaseId!) });
    expect(d.value).toEqual({ releaseId: t.value!.releaseId, runId });
    expect(h.log.length).toBe(before + 1);
  });

  it('refuses a run of another stage and an unknown project, writing nothing', () => {
    const h = new Harness(shop);
    const dev = h.trigger('shop', { web: 'web:1' });
    h.drain();
    const before = h.log.length;
    const wrong = h.decide({ type: 'pr.ready', project: 'shop', runId: dev.value!.runId!, data: data('pr-7', dev.value!.releaseId!) });
    expect(wrong.error?.code).toBe('INVALID_INPUT');
    expect(wrong.error?.message).toContain("is not a run of stage 'pr-7' in project 'shop'");
    const unknown = h.decide({ type: 'pr.ready', project: 'nope', data: data('pr-7', dev.value!.releaseId!) });
    expect(unknown.error?.code).toBe('UNKNOWN_PROJECT');
    expect(h.log.length).toBe(before);
  });
});
