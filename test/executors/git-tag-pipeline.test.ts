/**
 * slipway.yaml → pipeline for environment tags: `gitTag: true` is the stage's last task (after
 * its exit gate), kind git-tag, with the repository's URL, prefix, per-service mode and
 * credential references (never values); a git-tag task written by hand takes the same
 * defaults; the name it takes is refused for a task of that stage.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';

const file = (repository: string, devTasks = '[{name: deploy, kind: noop}]', extra = '') =>
  [
    'apiVersion: slipway/v1',
    'kind: Pipeline',
    'metadata: {name: shop}',
    'spec:',
    `  repository: ${repository}`,
    '  stages:',
    '    - name: dev',
    '      gitTag: true',
    `      tasks: ${devTasks}`,
    extra,
    '    - name: prod',
    '      tasks: [{name: deploy, kind: noop}, {name: tag, kind: git-tag, properties: {tagPrefix: live/}}]',
    '',
  ].join('\n');

describe('gitTag in slipway.yaml', () => {
  it('becomes the last task of the stage, after the exit gate, not failing the stage, with the repository settings', () => {
    const { pipeline } = loadPipeline(
      file("{url: https://git.example/shop.git, tagPrefix: env/, tagPerService: true, token: '${secret:GIT_TOKEN}'}", '[{name: deploy, kind: noop}]', '      gates: {exit: {delay: 1s, signals: []}}'),
      's.yaml',
    );
    const steps = pipeline.stages[0]!.sequences[0]!.steps;
    expect(steps.map((s) => s.tasks.map((t) => t.name))).toEqual([['deploy'], ['exit-gate'], ['git-tag']]);
    expect(steps.at(-1)!.tasks[0]).toMatchObject({
      kind: 'git-tag',
      continueOnFailure: true,
      retries: 2,
      if: { kind: 'success' },
      properties: { repository: 'https://git.example/shop.git', tagPrefix: 'env/', perService: true, token: '${secret:GIT_TOKEN}' },
    });
  });

  it('a git-tag task written in a sequence takes the repository unless it sets its own', () => {
    const { pipeline } = loadPipeline(file('{url: /srv/git/shop.git}'), 's.yaml');
    const tag = pipeline.stages[1]!.sequences[0]!.steps[1]!.tasks[0]!;
    expect(tag.properties).toEqual({ repository: '/srv/git/shop.git', tagPrefix: 'live/' });
    expect(pipeline.stages[1]!.sequences[0]!.steps).toHaveLength(2);
  });

  it('refuses a task named git-tag in a stage with gitTag, and a token written as a value', () => {
    expect(() => loadPipeline(file('{url: /srv/git/shop.git}', '[{name: git-tag, kind: noop}]'), 's.yaml')).toThrow(/task name 'git-tag' is taken by the task gitTag adds to stage 'dev'/);
    expect(() => loadPipeline(file('{url: /srv/git/shop.git, token: ghp_plainvalue}'), 's.yaml')).toThrow(/spec.repository.token: 'ghp_plainvalue' is not a secret reference/);
  });
});
