/**
 * What is checked when a pipeline loads: names (length, characters), durations (bounds) and
 * task kinds (served here, or declared as served by an outside executor). Kinds are checked
 * against a catalog of the real built-in executors, as the composition root builds it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinExecutors, createDeployExecutor, createReleaseExecutor, createRestartExecutor } from '../../src/executors/index.js';
import { loadPipeline, loadPipelineFile } from '../../src/spec/index.js';
import type { KindCatalog, PropertyCheck } from '../../src/spec/index.js';
import { errorOf, KEPTN_DIR, slipway } from './helpers.js';

const noTarget = () => undefined;
const EXECUTORS = [...builtinExecutors(), createDeployExecutor(noTarget), createReleaseExecutor(noTarget), createRestartExecutor(noTarget)];
const catalog = (outside: string[] = []): KindCatalog => ({
  served: new Map<string, PropertyCheck>(EXECUTORS.filter((e) => !outside.includes(e.kind)).map((e) => [e.kind, (p) => e.validate?.(p) ?? []])),
  outside,
});
const load = (text: string, kinds?: KindCatalog) => () => loadPipeline(text, 's.yaml', kinds ? { kinds } : {});
const oneTask = (task: string) => slipway('    - name: dev', '      tasks:', `        - ${task}`);

describe('names', () => {
  it('a task name of 80 characters is refused at its position, with the limit and a shorter name', () => {
    const long = 'a'.repeat(80);
    const err = errorOf(load(oneTask(`{name: ${long}, kind: shell}`)));
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toBe(
      `s.yaml:8:18: spec.stages[0].tasks[0].name: '${long}' is 80 characters long; a task name has at most 63 (names are part of ids and URLs), e.g. '${'a'.repeat(63)}'`,
    );
    expect(err.fields).toMatchObject({ file: 's.yaml', line: 8, column: 18, field: 'spec.stages[0].tasks[0].name' });
  });

  it('a task name of 63 characters loads', () => {
    const name = `t${'x'.repeat(61)}1`;
    expect(loadPipeline(oneTask(`{name: ${name}, kind: shell, properties: {run: 'true'}}`), 's.yaml').pipeline.stages[0]?.sequences[0]?.steps[0]?.tasks[0]?.name).toBe(name);
  });

  it('uppercase letters are refused, with the name in lowercase as the fix', () => {
    const err = errorOf(load(slipway('    - name: Dev', '      tasks: [{name: deploy, kind: shell}]')));
    expect(err.message).toBe(
      "s.yaml:6:13: spec.stages[0].name: 'Dev' is not a valid stage name; use lowercase letters, digits, '-' and '_', starting and ending with a letter or digit, e.g. 'dev'",
    );
    expect(err.fields.field).toBe('spec.stages[0].name');
  });

  it('spaces are refused, and so is a name that ends in a dash', () => {
    const spaced = errorOf(load(oneTask('{name: Smoke Test, kind: shell}')));
    expect(spaced.message).toBe(
      "s.yaml:8:18: spec.stages[0].tasks[0].name: 'Smoke Test' is not a valid task name; use lowercase letters, digits, '-' and '_', starting and ending with a letter or digit, e.g. 'smoke-test'",
    );
    expect(errorOf(load(oneTask('{name: deploy-, kind: shell}'))).message).toContain("'deploy-' is not a valid task name");
  });

  it('a dot in a task name is refused, saying why: task ids are split on dots', () => {
    const err = errorOf(load(oneTask('{name: db.migrate, kind: shell}')));
    expect(err.message).toBe(
      "s.yaml:8:18: spec.stages[0].tasks[0].name: 'db.migrate' is not a valid task name: it cannot contain '.' (task ids are <run>.<task>.<attempt> and event types sh.slipway.task.<task>.<phase>); use '-' or '_' instead, e.g. 'db-migrate'",
    );
  });

  it('a dot in a stage name is refused; project and service names may contain dots', () => {
    expect(errorOf(load(slipway('    - name: eu.west', '      tasks: [{name: deploy, kind: shell}]'))).message).toContain(
      "spec.stages[0].name: 'eu.west' is not a valid stage name: it cannot contain '.'",
    );
    const text = ['apiVersion: slipway/v1', 'kind: Pipeline', 'metadata: {name: shop.eu}', 'spec:', '  services: [web.v2]', '  stages:', '    - {name: dev, tasks: [{name: t, kind: noop}]}', ''].join('\n');
    expect(loadPipeline(text, 's.yaml').pipeline).toMatchObject({ name: 'shop.eu', services: ['web.v2'] });
  });

  it('a project name with uppercase letters is refused in a Keptn shipyard too', () => {
    const text = ['apiVersion: spec.keptn.sh/0.2.2', 'kind: Shipyard', 'metadata: {name: Sockshop}', 'spec:', '  stages: [{name: dev}]', ''].join('\n');
    expect(errorOf(load(text)).message).toBe(
      "s.yaml:3:18: metadata.name: 'Sockshop' is not a valid project name; use lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. 'sockshop'",
    );
  });
});

describe('durations', () => {
  it.each([
    ['0s', "'0s' is shorter than 1s; a timeout is 1s to 365d, e.g. 30s, 5m, 1h"],
    ['0.4us', "'0.4us' is shorter than 1s; a timeout is 1s to 365d, e.g. 30s, 5m, 1h"],
    ['9999999999999999999999d', "'9999999999999999999999d' is longer than one year; a timeout is 1s to 365d, e.g. 30s, 5m, 1h"],
  ])('a timeout of %s is refused, naming the field and the valid range', (value, message) => {
    const err = errorOf(load(oneTask(`{name: deploy, kind: shell, timeout: ${value}}`)));
    expect(err.code).toBe('SPEC_FIELD');
    expect(err.message).toBe(`s.yaml:8:48: spec.stages[0].tasks[0].timeout: ${message}`);
    expect(err.fields).toMatchObject({ line: 8, column: 48, field: 'spec.stages[0].tasks[0].timeout' });
  });

  it('a timeout of a second and one of a year load', () => {
    const tasks = loadPipeline(oneTask('parallel: [{name: a, kind: noop, timeout: 1s}, {name: b, kind: noop, timeout: 365d}]'), 's.yaml').pipeline.stages[0]?.sequences[0]?.steps[0]?.tasks;
    expect(tasks?.map((t) => t.timeoutMs)).toEqual([1000, 365 * 86_400_000]);
  });

  it('a delay of 0 means none and loads; a delay under a second is refused', () => {
    const tasks = loadPipeline(oneTask("parallel: [{name: a, kind: noop, delay: '0'}, {name: b, kind: noop, delay: 0s}]"), 's.yaml').pipeline.stages[0]?.sequences[0]?.steps[0]?.tasks;
    expect(tasks?.map((t) => t.delayMs)).toEqual([0, 0]);
    expect(errorOf(load(oneTask('{name: a, kind: noop, delay: 0.4us}'))).message).toBe(
      "s.yaml:8:40: spec.stages[0].tasks[0].delay: '0.4us' is shorter than 1s; a delay is 0 (none) or 1s to 365d, e.g. 30s, 5m, 1h",
    );
  });

  it('a bare number says which unit to add', () => {
    expect(errorOf(load(oneTask('{name: a, kind: noop, timeout: 30}'))).message).toBe(
      "s.yaml:8:42: spec.stages[0].tasks[0].timeout: expected a duration, got the number 30; add a unit, e.g. '30s' or '30m'",
    );
  });

  it("a Keptn task's triggeredAfter is bounded the same way", () => {
    const text = ['apiVersion: spec.keptn.sh/0.2.2', 'kind: Shipyard', 'metadata: {name: demo}', 'spec:', '  stages:', '    - name: dev', '      sequences: [{name: delivery, tasks: [{name: test, triggeredAfter: 0.4us}]}]', ''].join('\n');
    expect(errorOf(load(text)).message).toBe(
      "s.yaml:7:73: spec.stages[0].sequences[0].tasks[0].triggeredAfter: '0.4us' is shorter than 1s; a delay is 0 (none) or 1s to 365d, e.g. 30s, 5m, 1h",
    );
  });

  it.each([
    ['0s', 'duration "0s" is shorter than 1s; a soak lasts 1s to 365d, e.g. `30s`, `5m`, `1h30m`'],
    ['0.4us', 'duration "0.4us" is shorter than 1s; a soak lasts 1s to 365d, e.g. `30s`, `5m`, `1h30m`'],
    ['9999999999999999999999d', 'duration "9999999999999999999999d" is longer than one year; a soak lasts 1s to 365d, e.g. `30s`, `5m`, `1h30m`'],
  ])("a soak (wait) of %s is refused at the property's position", (value, message) => {
    const err = errorOf(load(oneTask(`{name: soak, kind: wait, properties: {duration: ${value}}}`), catalog()));
    expect(err.message).toBe(`s.yaml:8:59: spec.stages[0].tasks[0].properties.duration: wait task 'soak': ${message}`);
    expect(err.fields).toMatchObject({ line: 8, column: 59, field: 'spec.stages[0].tasks[0].properties.duration' });
  });

  it('a soak of 2d loads', () => {
    expect(() => loadPipeline(oneTask('{name: soak, kind: wait, properties: {duration: 2d}}'), 's.yaml', { kinds: catalog() })).not.toThrow();
  });
});

describe('task kinds', () => {
  it("a misspelt kind is refused at its position, suggesting the nearest built-in kind", () => {
    const err = errorOf(load(oneTask("{name: build, kind: shel, properties: {run: 'make'}}"), catalog()));
    expect(err.code).toBe('SPEC_REFERENCE');
    expect(err.message).toBe(
      "s.yaml:8:31: spec.stages[0].tasks[0].kind: task 'build' has kind 'shel', which no executor here serves; did you mean 'shell'? " +
        "Built-in kinds: alarm-check, approval, deploy, evaluation, gate, git-tag, migrate, noop, release, restart, shell, wait, webhook; if an outside executor serves 'shel', list it in spec.outsideKinds (or start the server with --outside-kinds shel)",
    );
    expect(err.fields).toMatchObject({ line: 8, column: 31, field: 'spec.stages[0].tasks[0].kind' });
  });

  it('a kind far from every built-in one gets no guess', () => {
    const err = errorOf(load(oneTask('{name: perf, kind: jmeter}'), catalog()));
    expect(err.message).toContain("task 'perf' has kind 'jmeter', which no executor here serves; built-in kinds: alarm-check, approval,");
  });

  it('a kind listed in spec.outsideKinds loads', () => {
    const text = [
      'apiVersion: slipway/v1',
      'kind: Pipeline',
      'metadata: {name: shop}',
      'spec:',
      '  outsideKinds: [jmeter, shel]',
      '  stages:',
      '    - {name: dev, tasks: [{name: perf, kind: jmeter}, {name: build, kind: shel}]}',
      '',
    ].join('\n');
    const { pipeline, warnings } = loadPipeline(text, 's.yaml', { kinds: catalog() });
    expect(pipeline.stages[0]?.sequences[0]?.steps.map((s) => s.tasks[0]?.kind)).toEqual(['jmeter', 'shel']);
    expect(warnings).toEqual([]);
  });

  it('a kind the server leaves to outside executors (--outside-kinds) loads', () => {
    const text = oneTask('{name: perf, kind: jmeter}');
    expect(() => loadPipeline(text, 's.yaml', { kinds: { ...catalog(), outside: ['jmeter'] } })).not.toThrow();
  });

  it('a built-in kind in spec.outsideKinds loads with a warning that the server option is what takes it away', () => {
    const text = ['apiVersion: slipway/v1', 'kind: Pipeline', 'metadata: {name: shop}', 'spec:', '  outsideKinds: [release]', '  stages:', '    - {name: dev, tasks: [{name: r, kind: release}]}', ''].join('\n');
    expect(loadPipeline(text, 's.yaml', { kinds: catalog() }).warnings).toEqual([
      "s.yaml:5:18: spec.outsideKinds[0]: 'release' is a kind Slipway runs itself here, and spec.outsideKinds does not change that; to leave it to an outside executor, start the server with --outside-kinds release",
    ]);
    expect(loadPipeline(text, 's.yaml', { kinds: catalog(['release']) }).warnings).toEqual([]);
  });

  it('an unknown kind in a pipeline saved before kinds were checked loads with a warning', () => {
    const { warnings } = loadPipeline(oneTask('{name: build, kind: shel}'), 's.yaml', { kinds: { ...catalog(), unknown: 'warn' } });
    expect(warnings).toEqual([expect.stringMatching(/^s\.yaml:8:31: spec\.stages\[0\]\.tasks\[0\]\.kind: task 'build' has kind 'shel', which no executor here serves; did you mean 'shell'\?/)]);
  });

  it('several problems come in one error: a bad kind and a bad property', () => {
    const err = errorOf(load(slipway('    - name: dev', '      tasks:', '        - {name: a, kind: aproval}', '        - {name: b, kind: shell, properties: {run: 3}}'), catalog()));
    expect(err.message.split('\n')).toEqual([
      expect.stringContaining("s.yaml:8:27: spec.stages[0].tasks[0].kind: task 'a' has kind 'aproval', which no executor here serves; did you mean 'approval'?"),
      's.yaml:9:52: spec.stages[0].tasks[1].properties.run: shell task \'b\': run must be a non-empty command string, got 3',
    ]);
  });

  it('Keptn shipyards accept any kind, as Keptn does: every conformance shipyard loads against the built-in kinds', () => {
    const files = readdirSync(KEPTN_DIR).filter((f) => f.endsWith('.yaml') && !f.includes('INVALID'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const unserved = new Set<string>();
    for (const f of files) {
      const { pipeline } = loadPipelineFile(join(KEPTN_DIR, f), { kinds: catalog() });
      const kinds = pipeline.stages.flatMap((s) => s.sequences.flatMap((q) => q.steps.flatMap((st) => st.tasks.map((t) => t.kind))));
      for (const k of kinds) if (!EXECUTORS.some((e) => e.kind === k)) unserved.add(k);
    }
    // Kinds no built-in executor serves (deployment, test, …) loaded: the point of the test.
    expect([...unserved]).toEqual(expect.arrayContaining(['deployment', 'test']));
  });

  it('a Keptn shipyard with a custom kind loads, and its approval properties are still checked', () => {
    const head = ['apiVersion: spec.keptn.sh/0.2.2', 'kind: Shipyard', 'metadata: {name: demo}', 'spec:', '  stages:', '    - name: dev', '      sequences:', '        - name: delivery'];
    const ok = [...head, '          tasks: [{name: jmeter-test}, {name: approval, properties: {pass: automatic}}]', ''].join('\n');
    expect(loadPipeline(ok, 'k.yaml', { kinds: catalog() }).pipeline.stages[0]?.sequences[0]?.steps.map((s) => s.tasks[0]?.kind)).toEqual(['jmeter-test', 'approval']);
    const bad = [...head, '          tasks: [{name: approval, properties: {pass: sometimes}}]', ''].join('\n');
    expect(errorOf(() => loadPipeline(bad, 'k.yaml', { kinds: catalog() })).message).toBe(
      'k.yaml:9:55: spec.stages[0].sequences[0].tasks[0].properties.pass: approval task \'approval\': pass must be `automatic` or `manual` (missing means manual), got "sometimes"',
    );
  });
});
