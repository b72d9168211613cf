import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf, slipway } from './helpers.js';

const load = (text: string) => () => loadPipeline(text, 's.yaml');

describe('mistakes in slipway.yaml', () => {
  it('an unknown key is named at its position, with the allowed keys', () => {
    const err = errorOf(load(slipway('    - name: dev', '      promote: auto', '      tasks: [{name: deploy, kind: shell}]')));
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toBe(
      "s.yaml:7:7: spec.stages[0].promote: unknown key 'promote'; allowed keys: name, after, promotion, queue, requireUpstream, tasks, gates, alarms, watch, gitTag, requireNoAlarms, traffic",
    );
    expect(err.fields).toMatchObject({ file: 's.yaml', line: 7, column: 7, field: 'spec.stages[0].promote' });
  });

  it('a value of the wrong type names the expected type and the value', () => {
    const err = errorOf(load(slipway('    - name: dev', '      requireUpstream: yes', '      tasks: [{name: deploy, kind: shell}]')));
    expect(err.message).toBe("s.yaml:7:24: spec.stages[0].requireUpstream: expected true or false, got 'yes'");
  });

  it('a value outside an enum lists the valid ones', () => {
    const err = errorOf(load(slipway('    - name: dev', '      queue: lifo', '      tasks: [{name: deploy, kind: shell}]')));
    expect(err.message).toBe("s.yaml:7:14: spec.stages[0].queue: 'lifo' is not valid; valid: fifo, supersede");
  });

  it('a stage in after that is not defined lists the defined stages', () => {
    const err = errorOf(
      load(
        slipway(
          '    - {name: dev, tasks: [{name: deploy, kind: shell}]}',
          '    - {name: hardening, tasks: [{name: deploy, kind: shell}]}',
          '    - name: production',
          '      after:',
          '        - prod',
          '      tasks: [{name: deploy, kind: shell}]',
        ),
      ),
    );
    expect(err.code).toBe('SPEC_REFERENCE');
    expect(err.message).toBe("s.yaml:10:11: spec.stages[2].after[0]: stage 'prod' is not defined; defined stages: dev, hardening, production");
    expect(err.fields).toMatchObject({ line: 10, column: 11, field: 'spec.stages[2].after[0]' });
  });

  it('a stage defined twice points at the second definition', () => {
    const err = errorOf(load(slipway('    - {name: dev, tasks: [{name: t, kind: k}]}', '    - {name: dev, tasks: [{name: t, kind: k}]}')));
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toBe(
      "s.yaml:7:14: spec.stages[1].name: stage 'dev' is defined twice in the pipeline (first at spec.stages[0].name); stage names must be unique",
    );
  });

  it('a task name used twice in a stage is an error, also across a parallel group', () => {
    const err = errorOf(
      load(slipway('    - name: dev', '      tasks:', '        - {name: deploy, kind: shell}', '        - parallel: [{name: test, kind: k}, {name: deploy, kind: k}]')),
    );
    expect(err.message).toBe(
      "s.yaml:9:52: spec.stages[0].tasks[1].parallel[1].name: task 'deploy' is defined twice in stage 'dev' (first at spec.stages[0].tasks[0]); task names must be unique within a stage",
    );
  });

  it('a cycle in after is named in the order a release would flow', () => {
    const err = errorOf(
      load(
        slipway(
          '    - {name: dev, after: [production], tasks: [{name: t, kind: k}]}',
          '    - {name: hardening, tasks: [{name: t, kind: k}]}',
          '    - {name: production, tasks: [{name: t, kind: k}]}',
        ),
      ),
    );
    expect(err.code).toBe('SPEC_REFERENCE');
    expect(err.message).toBe(
      "s.yaml:6:27: spec.stages[0].after[0]: stage 'dev' coming after 'production' closes a cycle: production → dev → hardening → production; stages must form a DAG",
    );
  });

  it('a stage listing itself in after is an error', () => {
    const err = errorOf(load(slipway('    - {name: dev, after: [dev], tasks: [{name: t, kind: k}]}')));
    expect(err.message).toBe("s.yaml:6:27: spec.stages[0].after[0]: stage 'dev' cannot come after itself; list the stages it follows");
  });

  it('a duration that does not parse names the value and the valid forms', () => {
    const err = errorOf(load(slipway('    - name: dev', '      tasks:', '        - {name: deploy, kind: shell, timeout: 5 minutes}')));
    expect(err.message).toBe(
      "s.yaml:8:48: spec.stages[0].tasks[0].timeout: '5 minutes' is not a duration; use a number and a unit (ms, s, m, h, d), e.g. 500ms, 30s, 5m, 1h30m, 2h, 1d",
    );
  });

  it('an if that names a later task is an error listing the earlier tasks', () => {
    const err = errorOf(
      load(
        slipway(
          '    - name: dev',
          '      tasks:',
          '        - {name: deploy, kind: shell}',
          '        - {name: rollback, kind: shell, if: {task: test, result: fail}}',
          '        - {name: test, kind: shell}',
        ),
      ),
    );
    expect(err.code).toBe('SPEC_REFERENCE');
    expect(err.message).toBe(
      "s.yaml:9:52: spec.stages[0].tasks[1].if.task: task 'test' runs in the same or a later step than 'rollback'; if can only name a task of an earlier step: deploy",
    );
  });

  it('an if that names a task of the same parallel group is an error', () => {
    const err = errorOf(
      load(slipway('    - name: dev', '      tasks:', '        - parallel: [{name: a, kind: k}, {name: b, kind: k, if: {task: a, result: pass}}]')),
    );
    expect(err.fields.field).toBe('spec.stages[0].tasks[0].parallel[1].if.task');
    expect(err.message).toContain("task 'a' runs in the same or a later step than 'b'; if can only name a task of an earlier step: (none)");
  });

  it('a result that is not pass, warning or fail lists the valid results', () => {
    const err = errorOf(
      load(slipway('    - name: dev', '      tasks:', '        - {name: a, kind: k}', '        - {name: b, kind: k, if: {task: a, result: failed}}')),
    );
    expect(err.message).toBe("s.yaml:9:52: spec.stages[0].tasks[1].if.result: 'failed' is not valid; valid: pass, warning, fail");
  });

  it('an if that is not one of the forms lists them', () => {
    const err = errorOf(load(slipway('    - name: dev', '      tasks:', '        - {name: a, kind: k, if: sucess}')));
    expect(err.message).toBe(
      "s.yaml:8:34: spec.stages[0].tasks[0].if: 'sucess' is not a valid condition; valid: success, failure, always, {task: NAME, result: R} or {task: NAME, resultNot: R}",
    );
  });

  it('a stage without tasks is an error', () => {
    const missing = errorOf(load(slipway('    - name: dev', '      after: []')));
    expect(missing.message).toBe('s.yaml:6:7: spec.stages[0].tasks: is required (a list)');
    const empty = errorOf(load(slipway('    - name: dev', '      tasks: []')));
    expect(empty.message).toBe('s.yaml:7:14: spec.stages[0].tasks: a stage needs at least one task');
  });

  it('a task name with spaces or dots names the allowed characters', () => {
    const err = errorOf(load(slipway('    - name: dev', '      tasks: [{name: smoke test, kind: shell}]')));
    expect(err.message).toBe(
      "s.yaml:7:22: spec.stages[0].tasks[0].name: 'smoke test' is not a valid task name; use lowercase letters, digits, '-' and '_', starting and ending with a letter or digit, e.g. 'smoke-test'",
    );
  });

  it('a list item that is neither a task nor a parallel group says what is expected', () => {
    const err = errorOf(load(slipway('    - name: dev', '      tasks: [deploy]')));
    expect(err.message).toBe("s.yaml:7:15: spec.stages[0].tasks[0]: expected a task {name, kind, ...} or a group {parallel: [tasks]}, got 'deploy'");
  });

  it('invalid YAML fails with SPEC_YAML at the position yaml reports', () => {
    const err = errorOf(load(slipway('    - name: dev', '      tasks: [{name: deploy, kind: shell}', '    - name: prod')));
    expect(err.code).toBe('SPEC_YAML');
    expect(err.message).toMatch(/^s\.yaml:\d+:\d+: .*invalid YAML/);
    expect(err.fields.line).toBeGreaterThanOrEqual(7);
  });

  it('an unsupported apiVersion lists the supported formats', () => {
    const err = errorOf(load('apiVersion: slipway/v2\nkind: Pipeline\n'));
    expect(err.message).toBe("s.yaml:1:13: apiVersion: 'slipway/v2' is not supported; valid: slipway/v1 (kind Pipeline), spec.keptn.sh/0.2.x (kind Shipyard)");
  });

  it('an empty file says so', () => {
    expect(errorOf(load('')).message).toBe('s.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec; the file is empty');
  });

  it('several problems are reported together, earliest first, the first one in the fields', () => {
    const err = errorOf(
      load(
        slipway(
          '    - name: dev',
          '      tasks: [{name: a, kind: k, retries: -1}]',
          '    - name: hardening',
          '      queue: lifo',
          '      tasks: [{name: a, kind: k, timeout: soon}]',
        ),
      ),
    );
    expect(err.message.split('\n')).toEqual([
      's.yaml:7:43: spec.stages[0].tasks[0].retries: -1 is too small; the minimum is 0',
      "s.yaml:9:14: spec.stages[1].queue: 'lifo' is not valid; valid: fifo, supersede",
      "s.yaml:10:43: spec.stages[1].tasks[0].timeout: 'soon' is not a duration; use a number and a unit (ms, s, m, h, d), e.g. 500ms, 30s, 5m, 1h30m, 2h, 1d",
    ]);
    expect(err.fields).toMatchObject({ line: 7, column: 43, field: 'spec.stages[0].tasks[0].retries' });
    expect(err.fields.problems).toHaveLength(3);
  });
});
