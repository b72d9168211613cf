/** slipway.yaml: the project's repository, webhook secret and per-stage gitTag. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf } from './helpers.js';

const load = (text: string) => loadPipeline(text, 's.yaml');
const file = (...spec: string[]) =>
  ['apiVersion: slipway/v1', 'kind: Pipeline', 'metadata: {name: shop}', 'spec:', ...spec, '  stages:', '    - name: dev', '      gitTag: true', '      tasks: [{name: d, kind: noop}]', '    - name: prod', '      tasks: [{name: d, kind: noop}]', ''].join('\n');

describe('slipway.yaml repository and webhook', () => {
  it('maps the repository (tagPrefix env/ by default), the webhook secret reference and gitTag', () => {
    const { pipeline } = load(file('  repository: {url: /srv/git/shop.git}', "  webhook: {secret: '${secret:SHOP_HOOK}'}"));
    expect(pipeline.repository).toEqual({ url: '/srv/git/shop.git', tagPrefix: 'env/' });
    expect(pipeline.webhook).toEqual({ secret: '${secret:SHOP_HOOK}' });
    expect(pipeline.stages.map((s) => s.gitTag ?? false)).toEqual([true, false]);
  });

  it('a webhook secret written as a value is refused: it must be a reference', () => {
    const err = errorOf(() => load(file('  repository: {url: /srv/git/shop.git}', '  webhook: {secret: hunter2}')));
    expect(err.message).toContain("s.yaml:6:21: spec.webhook.secret: 'hunter2' is not a secret reference; write '${secret:NAME}'");
  });

  it('gitTag without a repository says what is missing, at the stage', () => {
    const err = errorOf(() => load(file()));
    expect(err.message).toContain('s.yaml:7:15: spec.stages[0].gitTag: gitTag needs spec.repository');
  });
});
