/**
 * Gates in slipway.yaml: a `gate` task anywhere in a stage, or the stage's `gates: {entry, exit}`
 * that become its first and last tasks. Their properties are checked when the pipeline loads,
 * with errors at the line and column of the bad field, as every task's are.
 */
import { describe, expect, it } from 'vitest';
import { builtinExecutors } from '../../src/executors/index.js';
import { loadPipeline, pipelineJsonSchema } from '../../src/spec/index.js';
import type { KindCatalog, PropertyCheck } from '../../src/spec/index.js';
import { errorOf, slipway } from '../spec/helpers.js';

const kinds: KindCatalog = { served: new Map<string, PropertyCheck>(builtinExecutors().map((e) => [e.kind, (p) => e.validate?.(p) ?? []])) };
const load = (text: string) => loadPipeline(text, 's.yaml', { kinds });

const STAGES = [
  '    - name: dev',
  '      tasks: [{name: deploy, kind: noop}]',
  '    - name: production',
  '      gates:',
  '        entry:',
  '          interval: 1m',
  '          signals:',
  '            - {name: dev-quiet, stage: {name: dev, noFailedRunsFor: 1h}}',
  '            - {name: office, businessHours: {timeZone: Europe/Berlin, from: "09:00", to: "17:00"}}',
  '        exit:',
  '          steady: 5m',
  '          timeout: 30m',
  '          signals:',
  '            - {name: errors, prometheus: {url: "http://prometheus:9090", query: "sum(rate(errors[5m]))", condition: "result < 0.01"}}',
  '      tasks:',
  '        - {name: deploy, kind: noop}',
  '        - parallel: [{name: smoke, kind: noop}, {name: load, kind: noop}]',
];

describe('gates in slipway.yaml', () => {
  it('gates: {entry, exit} become the tasks entry-gate and exit-gate, first and last in the stage', () => {
    const { pipeline } = load(slipway(...STAGES));
    const steps = pipeline.stages[1]!.sequences[0]!.steps;
    expect(steps.map((s) => s.tasks.map((t) => `${t.name}:${t.kind}`))).toEqual([['entry-gate:gate'], ['deploy:noop'], ['smoke:noop', 'load:noop'], ['exit-gate:gate']]);
    const entry = steps[0]!.tasks[0]!;
    expect(entry).toMatchObject({ properties: { interval: '1m', signals: [{ name: 'dev-quiet' }, { name: 'office' }] }, retries: 0, delayMs: 0, if: { kind: 'success' }, continueOnFailure: false });
    expect(entry.source).toMatchObject({ file: 's.yaml', line: 11 });
    expect(steps[3]!.tasks[0]!.source).toMatchObject({ line: 16 });
    expect(pipeline.stages[0]!.sequences[0]!.steps).toHaveLength(1);
  });

  it('a bad property of a stage gate is reported at its own line, named by its field', () => {
    const lines = [...STAGES];
    lines[13] = '            - {name: errors, prometheus: {url: "http://prometheus:9090", query: "up", condition: "result = 1"}}';
    const err = errorOf(() => load(slipway(...lines)));
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toMatch(/^s\.yaml:19:98: spec\.stages\[1\]\.gates\.exit\.signals\[0\]\.prometheus\.condition: gate task 'exit-gate': condition 'result = 1' needs one of == != <= >= < > after result, got '='/);
  });

  it('a gate task’s properties are checked the same way', () => {
    const err = errorOf(() =>
      load(slipway('    - name: dev', '      tasks:', '        - name: health', '          kind: gate', '          properties:', '            signals:', '              - {name: a, http: {url: "http://x", expectStatus: 700}}')),
    );
    expect(err.message).toBe(
      "s.yaml:12:65: spec.stages[0].tasks[0].properties.signals[0].http.expectStatus: gate task 'health': expectStatus must be a status code (200), a class ('2xx') or a list of them, got 700",
    );
  });

  it('a stage signal must name a stage of the pipeline', () => {
    const lines = [...STAGES];
    lines[7] = '            - {name: dev-quiet, stage: {name: develop, noFailedRunsFor: 1h}}';
    const err = errorOf(() => load(slipway(...lines)));
    expect(err.code).toBe('SPEC_REFERENCE');
    expect(err.message).toBe("s.yaml:13:47: spec.stages[1].gates.entry.signals[0].stage.name: gate 'entry-gate' reads stage 'develop', which is not defined; defined stages: dev, production");
  });

  it('a task named like a stage gate clashes with it, and gates takes only entry and exit', () => {
    const lines = [...STAGES];
    lines[15] = '        - {name: exit-gate, kind: noop}';
    expect(errorOf(() => load(slipway(...lines))).message).toMatch(/task 'exit-gate' is defined twice in stage 'production' \(first at spec\.stages\[1\]\.tasks\[0\]\)/);
    const err = errorOf(() => load(slipway('    - name: dev', '      gates: {middle: {signals: []}}', '      tasks: [{name: deploy, kind: noop}]')));
    expect(err.message).toMatch(/spec\.stages\[0\]\.gates.*allowed keys: entry, exit/);
  });

  it('the JSON Schema offers gates with entry and exit', () => {
    const schema = pipelineJsonSchema() as { $defs: Record<string, { properties?: Record<string, { properties?: Record<string, unknown> }> }> };
    expect(Object.keys(schema.$defs.Stage?.properties?.gates?.properties ?? {})).toEqual(['entry', 'exit']);
  });
});
