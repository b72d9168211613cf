import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf } from './helpers.js';

const HEADER = ['apiVersion: spec.keptn.sh/0.2.2', 'kind: Shipyard', 'metadata: {name: demo}', 'spec:', '  stages:'];
/** A shipyard whose `stages:` list starts on line 6. */
const shipyard = (...lines: string[]): string => [...HEADER, ...lines, ''].join('\n');
const load = (text: string) => loadPipeline(text, 'k.yaml');

const DEV = ['    - name: dev', '      sequences:', '        - name: delivery', '          tasks: [{name: deployment}]'];

describe('Keptn shipyard mapping', () => {
  it("a match on result 'failed' loads but never fires, with a warning naming the line", () => {
    const { pipeline, warnings } = load(
      shipyard(
        ...DEV,
        '        - name: rollback',
        '          triggeredOn:',
        '            - event: dev.delivery.finished',
        '              selector: {match: {result: failed}}',
        '          tasks: [{name: rollback}]',
      ),
    );
    expect(pipeline.stages[0]?.sequences[1]?.triggeredOn).toEqual([{ stage: 'dev', sequence: 'delivery', results: [] }]);
    expect(warnings).toEqual([
      "k.yaml:13:42: spec.stages[0].sequences[1].triggeredOn[0].selector.match.result: 'failed' never matches, so this trigger never fires; results are pass, warning, fail; did you mean 'fail'?",
    ]);
  });

  it('several match keys are alternatives: one trigger each', () => {
    const { pipeline } = load(
      shipyard(
        ...DEV,
        '        - name: fix',
        '          triggeredOn:',
        '            - event: dev.delivery.finished',
        '              selector: {match: {result: warning, test.result: fail}}',
        '          tasks: [{name: fix}]',
      ),
    );
    expect(pipeline.stages[0]?.sequences[1]?.triggeredOn).toEqual([
      { stage: 'dev', sequence: 'delivery', results: ['warning'] },
      { stage: 'dev', sequence: 'delivery', results: ['pass', 'warning', 'fail'], taskResults: { test: 'fail' } },
    ]);
  });

  it('a stage without sequences gets only the implicit evaluation sequence', () => {
    const { pipeline } = load(shipyard(...DEV, '    - name: production'));
    const production = pipeline.stages[1];
    expect(production?.after).toEqual([]);
    expect(production?.sequences).toEqual([
      {
        name: 'evaluation',
        triggeredOn: [],
        join: 'any',
        steps: [
          {
            tasks: [
              { name: 'evaluation', kind: 'evaluation', properties: {}, retries: 0, delayMs: 0, if: { kind: 'success' }, continueOnFailure: false, source: { file: 'k.yaml', line: 10, column: 7 } },
            ],
          },
        ],
        source: { file: 'k.yaml', line: 10, column: 7 },
      },
    ]);
  });

  it('a stage that declares an evaluation sequence keeps it and gets no second one', () => {
    const { pipeline } = load(shipyard('    - name: dev', '      sequences:', '        - name: evaluation', '          tasks: [{name: get-sli}, {name: evaluation}]'));
    expect(pipeline.stages[0]?.sequences.map((s) => [s.name, s.steps.length])).toEqual([['evaluation', 2]]);
  });

  it('a stage triggered by several other stages is after each of them, once', () => {
    const { pipeline } = load(
      shipyard(
        ...DEV,
        '    - name: staging',
        '      sequences:',
        '        - {name: delivery, triggeredOn: [{event: dev.delivery.finished}], tasks: [{name: deployment}]}',
        '    - name: production',
        '      sequences:',
        '        - {name: delivery, triggeredOn: [{event: staging.delivery.finished}, {event: dev.delivery.finished}], tasks: [{name: deployment}]}',
        '        - {name: hotfix, triggeredOn: [{event: dev.evaluation.finished}], tasks: [{name: deployment}]}',
      ),
    );
    expect(pipeline.stages[2]?.after).toEqual(['staging', 'dev']);
  });

  it('keys Keptn ignores are warnings, and the shipyard still loads', () => {
    const { pipeline, warnings } = load(shipyard('    - name: dev', '      color: blue', '      sequences: [{name: delivery, tasks: [{name: deployment}]}]'));
    expect(pipeline.stages[0]?.name).toBe('dev');
    expect(warnings).toEqual(["k.yaml:7:7: spec.stages[0].color: unknown key 'color'; allowed keys: name, sequences; ignored"]);
  });

  it('an event naming a stage that does not exist lists the defined stages', () => {
    const err = errorOf(() =>
      load(shipyard(...DEV, '    - name: prod', '      sequences: [{name: delivery, triggeredOn: [{event: staging.delivery.finished}], tasks: [{name: deployment}]}]')),
    );
    expect(err.code).toBe('SPEC_REFERENCE');
    expect(err.message).toBe("k.yaml:11:58: spec.stages[1].sequences[0].triggeredOn[0].event: stage 'staging' is not defined; defined stages: dev, prod");
  });

  it('an event naming a sequence the stage lacks lists its sequences', () => {
    const err = errorOf(() =>
      load(shipyard(...DEV, '    - name: prod', '      sequences: [{name: delivery, triggeredOn: [{event: dev.release.finished}], tasks: [{name: deployment}]}]')),
    );
    expect(err.message).toContain("triggeredOn[0].event: sequence 'release' is not defined in stage 'dev'; its sequences: delivery, evaluation");
  });

  it('an event that is not <stage>.<sequence>.finished is an error', () => {
    const err = errorOf(() =>
      load(shipyard(...DEV, '    - name: prod', '      sequences: [{name: delivery, triggeredOn: [{event: dev.delivery.triggered}], tasks: [{name: deployment}]}]')),
    );
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toContain("k.yaml:11:58: spec.stages[1].sequences[0].triggeredOn[0].event: 'dev.delivery.triggered' is not a sequence event");
  });

  it('a task name used twice in a sequence is an error', () => {
    const err = errorOf(() => load(shipyard('    - name: dev', '      sequences: [{name: delivery, tasks: [{name: test}, {name: test}]}]')));
    expect(err.message).toBe(
      "k.yaml:7:65: spec.stages[0].sequences[0].tasks[1].name: task 'test' is defined twice in sequence 'delivery' (first at spec.stages[0].sequences[0].tasks[0].name); task names must be unique",
    );
  });

  it('a bad triggeredAfter names the value and the valid forms', () => {
    const err = errorOf(() => load(shipyard('    - name: dev', '      sequences: [{name: delivery, tasks: [{name: test, triggeredAfter: 10 min}]}]')));
    expect(err.message).toContain("spec.stages[0].sequences[0].tasks[0].triggeredAfter: '10 min' is not a duration");
  });

  it('a Keptn apiVersion other than 0.2.x is not supported', () => {
    const err = errorOf(() => load('apiVersion: spec.keptn.sh/0.1.7\nkind: Shipyard\n'));
    expect(err.message).toContain("apiVersion: 'spec.keptn.sh/0.1.7' is not supported");
  });
});
