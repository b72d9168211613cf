/** slipway.yaml: a stage's alarms, watch and requireNoAlarms, and what they map to. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf, slipway } from './helpers.js';

const load = (text: string) => loadPipeline(text, 's.yaml');

const DEV = [
  '    - name: dev',
  '      alarms:',
  '        - {name: errors, prometheus: "http://127.0.0.1:9090", labels: {service: api}, interval: 5s}',
  '        - {name: paging, alertmanager: "http://127.0.0.1:9093"}',
  '      watch: {for: 30m}',
  '      tasks:',
  '        - {name: deploy, kind: shell, properties: {run: "true"}}',
  '        - {name: soak, kind: wait, properties: {duration: 5m}}',
  '        - {name: quiet, kind: wait, properties: {duration: 1m, alarms: []}}',
];
const PROD = ['    - name: prod', '      requireNoAlarms: {stage: dev, timeout: 10m}', '      tasks: [{name: deploy, kind: shell, properties: {run: "true"}}]'];

describe('slipway.yaml alarms', () => {
  it('maps alarms, watch and requireNoAlarms: soaks get the stage alarms, prod gets an alarm-check first', () => {
    const { pipeline } = load(slipway(...DEV, ...PROD));
    const [dev, prod] = pipeline.stages;
    expect(dev!.alarms).toEqual([
      { name: 'errors', source: { url: 'http://127.0.0.1:9090', api: 'prometheus' }, labels: { service: 'api' }, intervalMs: 5000 },
      { name: 'paging', source: { url: 'http://127.0.0.1:9093', api: 'alertmanager' }, labels: {}, intervalMs: 15_000 },
    ]);
    // The window polls as often as the fastest alarm unless it says otherwise.
    expect(dev!.watch).toEqual({ forMs: 1_800_000, intervalMs: 5000 });
    const tasks = dev!.sequences[0]!.steps.flatMap((s) => s.tasks);
    expect(tasks.find((t) => t.name === 'soak')!.properties.alarms).toEqual([
      { name: 'errors', prometheus: 'http://127.0.0.1:9090', labels: { service: 'api' }, interval: '5s' },
      { name: 'paging', alertmanager: 'http://127.0.0.1:9093', labels: {} },
    ]);
    expect(tasks.find((t) => t.name === 'quiet')!.properties.alarms).toEqual([]);
    expect(prod!.requireNoAlarms).toEqual({ stage: 'dev', timeoutMs: 600_000 });
    const first = prod!.sequences[0]!.steps[0]!.tasks[0]!;
    expect(first).toMatchObject({ name: 'upstream-alarms', kind: 'alarm-check', timeoutMs: 660_000, properties: { stage: 'dev', timeout: '10m', alarms: [{ name: 'errors' }, { name: 'paging' }] } });
    expect(first.source).toMatchObject({ file: 's.yaml', line: 16 });
    expect(prod!.sequences[0]!.steps.map((s) => s.tasks[0]!.name)).toEqual(['upstream-alarms', 'deploy']);
  });

  it('an alarm with both or neither source is refused at its position', () => {
    const err = errorOf(() => load(slipway('    - name: dev', '      alarms:', '        - {name: e, labels: {a: b}}', '      tasks: [{name: d, kind: shell, properties: {run: "true"}}]')));
    expect(err.message).toBe('s.yaml:8:11: spec.stages[0].alarms[0]: needs exactly one of prometheus or alertmanager (a URL)');
    const url = errorOf(() => load(slipway('    - name: dev', '      alarms: [{name: e, prometheus: "localhost:9090"}]', '      tasks: [{name: d, kind: shell, properties: {run: "true"}}]')));
    expect(url.message).toContain("spec.stages[0].alarms[0].prometheus: expected an http(s) URL such as http://127.0.0.1:9090, got 'localhost:9090'");
  });

  it('watch needs alarms, and requireNoAlarms an earlier stage that has them', () => {
    const watch = errorOf(() => load(slipway('    - name: dev', '      watch: {for: 10m}', '      tasks: [{name: d, kind: shell, properties: {run: "true"}}]')));
    expect(watch.message).toBe("s.yaml:7:7: spec.stages[0].watch: stage 'dev' has watch but no alarms to watch; declare alarms: [{name, prometheus: URL, labels: {...}}] on the stage");
    const undef = errorOf(() => load(slipway(...DEV, '    - name: prod', '      requireNoAlarms: {stage: qa}', '      tasks: [{name: d, kind: shell, properties: {run: "true"}}]')));
    expect(undef.message).toBe("s.yaml:16:32: spec.stages[1].requireNoAlarms.stage: stage 'qa' is not defined; defined stages: dev, prod");
    const later = errorOf(() => load(slipway('    - name: first', '      requireNoAlarms: {stage: dev}', '      tasks: [{name: d, kind: shell, properties: {run: "true"}}]', ...DEV)));
    expect(later.message).toContain("stage 'dev' is not before stage 'first'; requireNoAlarms names an earlier stage: (none)");
    const none = errorOf(() => load(slipway('    - {name: dev, tasks: [{name: d, kind: shell, properties: {run: "true"}}]}', ...PROD)));
    expect(none.message).toContain("stage 'dev' declares no alarms; add alarms: [{name, prometheus: URL, labels: {...}}] to stage 'dev'");
    const taken = errorOf(() => load(slipway(...DEV, '    - name: prod', '      requireNoAlarms: {stage: dev}', '      tasks: [{name: upstream-alarms, kind: shell, properties: {run: "true"}}]')));
    expect(taken.message).toContain("task name 'upstream-alarms' is taken by the check requireNoAlarms adds to stage 'prod'");
  });

  it('alarm names are unique within a stage', () => {
    const err = errorOf(() => load(slipway('    - name: dev', '      alarms: [{name: e, prometheus: "http://a:1"}, {name: e, prometheus: "http://b:1"}]', '      tasks: [{name: d, kind: shell, properties: {run: "true"}}]')));
    expect(err.message).toContain("alarm 'e' is defined twice in stage 'dev'");
  });
});
