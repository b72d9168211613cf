/** slipway.yaml `spec.notifications`: what maps, and errors that name file:line:col and the field. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf } from '../spec/helpers.js';

const load = (text: string) => loadPipeline(text, 's.yaml');
/** The sinks start on line 9. */
const file = (...sinks: string[]) =>
  ['apiVersion: slipway/v1', 'kind: Pipeline', 'metadata: {name: shop}', 'spec:', '  stages:', '    - name: dev', '      tasks: [{name: d, kind: noop}]', '  notifications:', ...sinks, ''].join('\n');

describe('slipway.yaml notifications', () => {
  it('maps a Slack sink and a webhook sink with their topics and stages', () => {
    const { pipeline } = load(
      file(
        "    - {name: chat, slack: {url: '${secret:SLACK_URL}'}, on: [run.failed, approval.waiting], stages: [dev]}",
        "    - {name: hook, webhook: {url: 'https://hooks.example.com/slipway', secret: '${secret:HOOK}'}, on: [stage.reached, freeze.started, freeze.ended, rollback, pr.ready]}",
      ),
    );
    expect(pipeline.notifications?.map(({ source: _s, ...n }) => n)).toEqual([
      { name: 'chat', kind: 'slack', url: '${secret:SLACK_URL}', on: ['run.failed', 'approval.waiting'], stages: ['dev'] },
      { name: 'hook', kind: 'webhook', url: 'https://hooks.example.com/slipway', secret: '${secret:HOOK}', on: ['stage.reached', 'freeze.started', 'freeze.ended', 'rollback', 'pr.ready'] },
    ]);
  });

  it('a Slack URL written out is refused: it is the credential, so it must be a secret reference', () => {
    const err = errorOf(() => load(file("    - {name: chat, slack: {url: 'https://hooks.slack.com/services/T0/B0/abc'}, on: [run.failed]}")));
    expect(err.message).toContain("s.yaml:9:33: spec.notifications[0].slack.url: 'https://hooks.slack.com/services/T0/B0/abc' is not a secret reference; write '${secret:SLACK_URL}'");
  });

  it('a webhook URL with user:password in it is refused without repeating it', () => {
    const err = errorOf(() => load(file("    - {name: hook, webhook: {url: 'https://bob:hunter2@example.com/x', secret: '${secret:HOOK}'}, on: [run.failed]}")));
    expect(err.message).toContain('spec.notifications[0].webhook.url: the URL carries credentials');
    expect(err.message).not.toContain('hunter2');
  });

  it('a webhook secret must be a reference', () => {
    const err = errorOf(() => load(file("    - {name: hook, webhook: {url: 'https://example.com/x', secret: plain}, on: [run.failed]}")));
    expect(err.message).toContain("spec.notifications[0].webhook.secret: 'plain' is not a secret reference");
  });

  it('an unknown topic names the valid ones', () => {
    const err = errorOf(() => load(file("    - {name: chat, slack: {url: '${secret:S}'}, on: [run.failed, deploy.done]}")));
    expect(err.message).toContain("s.yaml:9:66: spec.notifications[0].on[1]: 'deploy.done' is not a notification topic; topics: run.failed, approval.waiting, rollback, stage.reached, freeze.started, freeze.ended, pr.ready");
  });

  it('needs exactly one of slack and webhook', () => {
    const err = errorOf(() => load(file('    - {name: chat, on: [run.failed]}')));
    expect(err.message).toContain('s.yaml:9:7: spec.notifications[0]: needs exactly one of slack: {url} or webhook: {url, secret}');
  });

  it('an undefined stage and a name used twice are named where they stand', () => {
    const err = errorOf(() =>
      load(file("    - {name: chat, slack: {url: '${secret:S}'}, on: [run.failed], stages: [prod]}", "    - {name: chat, slack: {url: '${secret:S}'}, on: [run.failed]}")),
    );
    expect(err.message).toContain("spec.notifications[0].stages[0]: stage 'prod' is not defined; defined stages: dev");
    expect(err.message).toContain("spec.notifications[1].name: notification sink 'chat' is defined twice");
  });
});
