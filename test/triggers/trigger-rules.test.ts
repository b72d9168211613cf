/** `spec.triggers` and `repository.watch` in slipway.yaml: what loads, how events map, and errors naming file:line:col and field. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { mapEvent, versionOfTag } from '../../src/triggers/index.js';
import { errorOf } from '../spec/helpers.js';

function file(...lines: string[]): string {
  return [
    'apiVersion: slipway/v1',
    'kind: Pipeline',
    'metadata: {name: shop}',
    'spec:',
    '  services: [web, backend]',
    '  repository: {url: /srv/git/shop.git, watch: {interval: 30s}}',
    '  stages:',
    '    - {name: dev, tasks: [{name: a, kind: noop}]}',
    '  triggers:',
    ...lines,
    '',
  ].join('\n');
}

describe('trigger rules', () => {
  it('load onto the pipeline with their source, and the watch interval in ms', () => {
    const { pipeline } = loadPipeline(file("    - {on: tag, tag: 'backend/v*'}", "    - {on: push, branch: main, artifacts: {web: 'registry.example/web:${shortCommit}'}}"), 's.yaml');
    expect(pipeline.repository).toEqual({ url: '/srv/git/shop.git', tagPrefix: 'env/', watch: { intervalMs: 30_000 } });
    expect(pipeline.triggers).toEqual([
      { on: 'tag', tag: 'backend/v*', artifacts: {}, source: { file: 's.yaml', line: 10, column: 7 } },
      { on: 'push', branch: 'main', artifacts: { web: 'registry.example/web:${shortCommit}' }, source: { file: 's.yaml', line: 11, column: 7 } },
    ]);
  });

  it('map the first matching rule: templates rendered, tags by the default mapping, no match an UNMAPPABLE_PAYLOAD', () => {
    const { pipeline } = loadPipeline(file("    - {on: tag, tag: 'backend/v*'}", "    - {on: push, branch: 'release/*', artifacts: {web: 'registry.example/web:${branch}-${shortCommit}'}}"), 's.yaml');
    const commit = 'a'.repeat(40);
    expect(mapEvent(pipeline, { kind: 'tag', tag: 'backend/v1.2.3', commit }).artifacts).toEqual({ backend: 'backend:1.2.3' });
    expect(mapEvent(pipeline, { kind: 'push', branch: 'release/2026/04', commit }).artifacts).toEqual({ web: 'registry.example/web:release/2026/04-aaaaaaa' });
    const err = errorOf(() => mapEvent(pipeline, { kind: 'tag', tag: 'web/v2', commit }));
    expect(err.code).toBe('UNMAPPABLE_PAYLOAD');
    expect(err.message).toBe(
      "tag 'web/v2' at aaaaaaa matches none of project 'shop''s trigger rules (on tag tag 'backend/v*' at s.yaml:10:7; on push branch 'release/*' at s.yaml:11:7); add a rule to spec.triggers in slipway.yaml (docs/triggers.md) if it should make a release",
    );
  });

  it('without rules, every tag is a release by the default mapping; a bare version needs a single service', () => {
    const text = file().replace('  triggers:\n', '').replace('[web, backend]', '[web]');
    const { pipeline } = loadPipeline(text, 's.yaml');
    expect(mapEvent(pipeline, { kind: 'tag', tag: 'v3.1.0', commit: 'b'.repeat(40) }).artifacts).toEqual({ web: 'web:3.1.0' });
    expect(versionOfTag('release-5')).toBe('release-5');
  });

  it('refuse an unknown template variable, naming the variables the rule has', () => {
    expect(errorOf(() => loadPipeline(file("    - {on: push, artifacts: {web: 'r/web:${version}'}}"), 's.yaml')).message).toBe(
      "s.yaml:10:35: spec.triggers[0].artifacts.web: ${version} is not a variable of 'push' rules (it exists for on: tag, package); variables: ${commit}, ${shortCommit}, ${project}, ${branch}",
    );
  });

  it('refuse a pattern on the wrong kind of rule, a push rule without artifacts, a service not declared, an unknown on', () => {
    expect(errorOf(() => loadPipeline(file('    - {on: tag, branch: main}'), 's.yaml')).message).toBe("s.yaml:10:25: spec.triggers[0].branch: 'branch' does not apply to on: tag rules; they take tag");
    expect(errorOf(() => loadPipeline(file('    - {on: push, branch: main}'), 's.yaml')).message).toMatch(/^s\.yaml:10:7: spec\.triggers\[0\]\.artifacts: an on: push rule needs artifacts/);
    expect(errorOf(() => loadPipeline(file("    - {on: tag, artifacts: {mailer: 'm:${version}'}}"), 's.yaml')).message).toBe(
      "s.yaml:10:37: spec.triggers[0].artifacts.mailer: service 'mailer' is not declared in spec.services; declared: web, backend",
    );
    expect(errorOf(() => loadPipeline(file('    - {on: merge}'), 's.yaml')).message).toBe("s.yaml:10:12: spec.triggers[0].on: 'merge' is not a trigger event; valid: push, tag, workflow_run, package");
  });
});
