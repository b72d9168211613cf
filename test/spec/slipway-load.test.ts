import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DELIVERY } from '../../src/core/index.js';
import { loadPipeline, loadPipelineFile } from '../../src/spec/index.js';
import { errorOf, slipway } from './helpers.js';

const SHOP = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: ./deploy.sh}, timeout: 5m}
        - {name: test, kind: shell, properties: {run: npm run smoke}}
    - name: hardening
      after: [dev]
      promotion: manual
      queue: supersede
      requireUpstream: false
      tasks:
        - {name: deploy, kind: shell, retries: 2, delay: 30s}
        - parallel:
            - {name: perf, kind: shell, triggeredAfter: 1m}
            - {name: security, kind: webhook, properties: {url: http://127.0.0.1:9/x}, continueOnFailure: true}
        - {name: cleanup, kind: shell, if: failure, properties: {run: ./cleanup.sh}}
        - {name: notify, kind: webhook, if: always}
        - {name: rollback, kind: shell, if: {task: perf, result: fail}}
        - {name: report, kind: shell, if: {task: security, resultNot: [pass, warning]}}
`;

describe('loading slipway.yaml', () => {
  const { pipeline, warnings } = loadPipeline(SHOP, 'slipway.yaml');
  const [dev, hardening] = pipeline.stages;

  it('reads the pipeline name, services, format and a content hash as version', () => {
    expect(pipeline.name).toBe('shop');
    expect(pipeline.services).toEqual(['frontend', 'backend']);
    expect(pipeline.format).toBe('slipway/v1');
    expect(pipeline.version).toMatch(/^[0-9a-f]{16}$/);
    expect(loadPipeline(SHOP, 'other.yaml').pipeline.version).toBe(pipeline.version);
    expect(loadPipeline(`${SHOP}# changed\n`, 'slipway.yaml').pipeline.version).not.toBe(pipeline.version);
    expect(warnings).toEqual([]);
  });

  it('gives each stage one delivery sequence that waits for all stages in after', () => {
    expect(hardening?.sequences).toHaveLength(1);
    const seq = hardening?.sequences[0];
    expect(seq?.name).toBe(DELIVERY);
    expect(seq?.join).toBe('all');
    expect(seq?.triggeredOn).toEqual([{ stage: 'dev', sequence: DELIVERY, results: ['pass', 'warning'] }]);
    expect(dev?.sequences[0]?.triggeredOn).toEqual([]);
  });

  it('keeps the stage settings as written', () => {
    expect(hardening).toMatchObject({ after: ['dev'], promotion: 'manual', queue: 'supersede', requireUpstream: false });
  });

  it('makes each list item a step and a parallel group one step of several tasks', () => {
    const steps = hardening?.sequences[0]?.steps.map((s) => s.tasks.map((t) => t.name));
    expect(steps).toEqual([['deploy'], ['perf', 'security'], ['cleanup'], ['notify'], ['rollback'], ['report']]);
  });

  it('converts durations to milliseconds and fills task defaults', () => {
    const deploy = dev?.sequences[0]?.steps[0]?.tasks[0];
    expect(deploy).toMatchObject({ kind: 'shell', properties: { run: './deploy.sh' }, timeoutMs: 300_000, retries: 0, delayMs: 0, continueOnFailure: false, if: { kind: 'success' } });
    const test = dev?.sequences[0]?.steps[1]?.tasks[0];
    expect(test?.timeoutMs).toBeUndefined();
    const tasks = hardening?.sequences[0]?.steps.flatMap((s) => s.tasks) ?? [];
    expect(tasks[0]).toMatchObject({ retries: 2, delayMs: 30_000 });
    expect(tasks[1]).toMatchObject({ delayMs: 60_000, properties: {} });
    expect(tasks[2]).toMatchObject({ continueOnFailure: true });
  });

  it('maps if conditions, with resultNot as a negated result condition', () => {
    const conds = hardening?.sequences[0]?.steps.slice(2).map((s) => s.tasks[0]?.if);
    expect(conds).toEqual([
      { kind: 'failure' },
      { kind: 'always' },
      { kind: 'result', task: 'perf', results: ['fail'], negate: false },
      { kind: 'result', task: 'security', results: ['pass', 'warning'], negate: true },
    ]);
  });

  it('records where stages, sequences and tasks were written', () => {
    expect(hardening?.source).toEqual({ file: 'slipway.yaml', line: 11, column: 7 });
    expect(hardening?.sequences[0]?.source).toEqual({ file: 'slipway.yaml', line: 17, column: 9 });
    expect(hardening?.sequences[0]?.steps[1]?.tasks[1]?.source).toEqual({ file: 'slipway.yaml', line: 20, column: 15 });
  });
});

describe('slipway.yaml defaults', () => {
  const { pipeline } = loadPipeline(
    slipway(
      '    - {name: dev, tasks: [{name: deploy, kind: shell}]}',
      '    - {name: hardening, tasks: [{name: deploy, kind: shell}]}',
      '    - {name: production, tasks: [{name: deploy, kind: shell}]}',
      '    - {name: preview, after: [], tasks: [{name: deploy, kind: shell}]}',
    ),
    's.yaml',
  );

  it('places each stage after the one declared above it, and the first after none', () => {
    expect(pipeline.stages.map((s) => s.after)).toEqual([[], ['dev'], ['hardening'], []]);
  });

  it('promotes automatically, queues FIFO and requires upstream by default', () => {
    for (const stage of pipeline.stages) {
      expect(stage).toMatchObject({ promotion: 'auto', queue: 'fifo', requireUpstream: true });
    }
  });

  it('accepts any service when services is absent', () => {
    expect(pipeline.services).toEqual([]);
  });
});

describe('slipway.yaml stages as a DAG', () => {
  it('fans out and fans in with after lists', () => {
    const { pipeline } = loadPipeline(
      slipway(
        '    - {name: build, tasks: [{name: t, kind: k}]}',
        '    - {name: eu, after: [build], tasks: [{name: t, kind: k}]}',
        '    - {name: us, after: [build], tasks: [{name: t, kind: k}]}',
        '    - {name: global, after: [eu, us], tasks: [{name: t, kind: k}]}',
      ),
      's.yaml',
    );
    const global = pipeline.stages[3];
    expect(global?.after).toEqual(['eu', 'us']);
    expect(global?.sequences[0]?.triggeredOn.map((t) => t.stage)).toEqual(['eu', 'us']);
    expect(global?.sequences[0]?.join).toBe('all');
  });
});

describe('loadPipelineFile', () => {
  it('reads the file and names it in messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-spec-'));
    const path = join(dir, 'slipway.yaml');
    writeFileSync(path, slipway('    - {name: dev, tasks: [{name: deploy, kind: shell}]}'));
    expect(loadPipelineFile(path).pipeline.stages[0]?.source?.file).toBe(path);
    writeFileSync(path, slipway('    - {name: dev, tasks: [{name: deploy, kind: shell, retry: 1}]}'));
    expect(errorOf(() => loadPipelineFile(path)).message).toContain(`${path}:6:55: spec.stages[0].tasks[0].retry: unknown key 'retry'`);
  });

  it('fails with SPEC_FILE when the file cannot be read', () => {
    const err = errorOf(() => loadPipelineFile('/nonexistent/slipway.yaml'));
    expect(err.code).toBe('SPEC_FILE');
    expect(err.message).toContain('/nonexistent/slipway.yaml');
    expect(err.fields.file).toBe('/nonexistent/slipway.yaml');
  });
});
