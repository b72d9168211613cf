import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pipeline, SequenceSpec, StageSpec } from '../../src/core/index.js';
import { loadPipelineFile } from '../../src/spec/index.js';
import { errorOf, KEPTN_DIR } from './helpers.js';

const load = (name: string) => loadPipelineFile(join(KEPTN_DIR, name));

/** stage → sequence → task names, per step. */
function outline(p: Pipeline): Record<string, Record<string, string[]>> {
  return Object.fromEntries(
    p.stages.map((s) => [s.name, Object.fromEntries(s.sequences.map((q) => [q.name, q.steps.map((st) => st.tasks.map((t) => t.name).join('+'))]))]),
  );
}

const stage = (p: Pipeline, name: string): StageSpec | undefined => p.stages.find((s) => s.name === name);
const sequence = (p: Pipeline, st: string, name: string): SequenceSpec | undefined => stage(p, st)?.sequences.find((q) => q.name === name);

describe('Keptn conformance shipyards', () => {
  it('02 quickstart: hardening → production, with a remediation loop and a delayed evaluation', () => {
    const { pipeline, warnings } = load('02_examples_quickstart_demo_shipyard.yaml');
    expect(warnings).toEqual([]);
    expect(pipeline).toMatchObject({ name: 'shipyard-sockshop', services: [], format: 'spec.keptn.sh/0.2.0' });
    expect(outline(pipeline)).toEqual({
      hardening: { delivery: ['deployment', 'test', 'evaluation'], evaluation: ['evaluation'] },
      production: { delivery: ['deployment', 'release'], remediation: ['get-action', 'action', 'evaluation'], evaluation: ['evaluation'] },
    });
    expect(stage(pipeline, 'hardening')).toMatchObject({ after: [], promotion: 'auto', queue: 'fifo', requireUpstream: false });
    expect(stage(pipeline, 'production')?.after).toEqual(['hardening']);
    expect(sequence(pipeline, 'production', 'delivery')).toMatchObject({
      join: 'any',
      triggeredOn: [{ stage: 'hardening', sequence: 'delivery', results: ['pass', 'warning'] }],
    });
    expect(sequence(pipeline, 'production', 'remediation')?.triggeredOn).toEqual([
      { stage: 'production', sequence: 'remediation', results: ['pass', 'warning', 'fail'], taskResults: { evaluation: 'fail' } },
    ]);
    const evaluation = sequence(pipeline, 'production', 'remediation')?.steps[2]?.tasks[0];
    expect(evaluation).toMatchObject({ kind: 'evaluation', delayMs: 120_000, properties: { timeframe: '2m' } });
    const deployment = sequence(pipeline, 'hardening', 'delivery')?.steps[0]?.tasks[0];
    expect(deployment).toMatchObject({ kind: 'deployment', properties: { deploymentstrategy: 'user_managed' }, retries: 0, if: { kind: 'success' } });
    expect(deployment?.source?.line).toBe(11);
  });

  it('04 delivery assistant: four independent stages with approval settings as properties', () => {
    const { pipeline } = load('04_keptn_test_deliveryassistant_approval_shipyard.yaml');
    expect(pipeline.stages.map((s) => [s.name, s.after])).toEqual([['combi1', []], ['combi2', []], ['combi3', []], ['combi4', []]]);
    const approvals = pipeline.stages.map((s) => s.sequences[0]?.steps[0]?.tasks[0]?.properties);
    expect(approvals).toEqual([
      { pass: 'automatic', warning: 'automatic' },
      { pass: 'manual', warning: 'automatic' },
      { pass: 'automatic', warning: 'manual' },
      { pass: 'manual', warning: 'manual' },
    ]);
    expect(sequence(pipeline, 'combi1', 'approval')?.triggeredOn).toEqual([]);
  });

  it('05 custom tasks: a sequence of tasks whose kinds are their names', () => {
    const { pipeline } = load('05_keptn_test_sequencequeue_customtasks_shipyard.yaml');
    expect(pipeline.format).toBe('spec.keptn.sh/0.2.3');
    expect(outline(pipeline)).toEqual({ dev: { mysequence: ['task1', 'task2', 'task3'], evaluation: ['evaluation'] } });
    expect(sequence(pipeline, 'dev', 'mysequence')?.steps.map((s) => s.tasks[0]?.kind)).toEqual(['task1', 'task2', 'task3']);
  });

  it('06 qa → production: rollback fires on a failed delivery, production on a passed one', () => {
    const { pipeline } = load('06_artifacthub_helm-jes_qa-prod-approval_shipyard.yaml');
    expect(outline(pipeline)).toEqual({
      qa: { delivery: ['deployment', 'test', 'evaluation'], rollback: ['rollback'], evaluation: ['evaluation'] },
      production: { delivery: ['approval', 'deployment'], remediation: ['get-action', 'action', 'evaluation'], evaluation: ['evaluation'] },
    });
    expect(sequence(pipeline, 'qa', 'rollback')?.triggeredOn).toEqual([{ stage: 'qa', sequence: 'delivery', results: ['fail'] }]);
    expect(sequence(pipeline, 'production', 'delivery')?.triggeredOn).toEqual([{ stage: 'qa', sequence: 'delivery', results: ['pass', 'warning'] }]);
    expect(stage(pipeline, 'qa')?.after).toEqual([]);
    expect(stage(pipeline, 'production')?.after).toEqual(['qa']);
  });

  it('07 the spec example with a mis-indented task fails with SPEC_YAML at line 41', () => {
    const file = join(KEPTN_DIR, '07_spec_shipyard-md_example_INVALID-INDENT.yaml');
    const err = errorOf(() => loadPipelineFile(file));
    expect(err.code).toBe('SPEC_YAML');
    expect(err.fields).toMatchObject({ file, line: 41, column: 19, field: 'spec.stages[2].sequences[0].tasks[0].name' });
    expect(err.message).toContain(`${file}:41:19: spec.stages[2].sequences[0].tasks[0].name: invalid YAML (lines 41-42)`);
    expect(err.message).toContain('check the indentation');
  });
});
