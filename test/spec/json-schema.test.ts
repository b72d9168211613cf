import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pipelineJsonSchema } from '../../src/spec/index.js';

// ajv-formats is CommonJS: under ESM its function may arrive as the module's `default`.
type AddFormats = (ajv: Ajv2020) => unknown;
const formatsModule = addFormatsModule as unknown as AddFormats | { default: AddFormats };
const addFormats: AddFormats = typeof formatsModule === 'function' ? formatsModule : formatsModule.default;

describe('the JSON Schema of slipway.yaml', () => {
  it('is committed in schema/slipway.schema.json as the code generates it (run `npm run schema`)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../schema/slipway.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(pipelineJsonSchema());
  });

  it('rejects unknown keys and leaves fields with defaults optional', () => {
    const schema = pipelineJsonSchema() as { additionalProperties?: boolean; $defs: Record<string, { required?: string[] }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.$defs.Task?.required).toEqual(['name', 'kind']);
    expect(schema.$defs.Stage?.required).toEqual(['name', 'tasks']);
  });
});

describe('the check kinds in the JSON Schema (what an editor checks as you type)', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(pipelineJsonSchema());
  const pipeline = (tasks: unknown[], stage: Record<string, unknown> = {}) => ({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: 'shop' },
    spec: { stages: [{ name: 'dev', tasks, ...stage }] },
  });
  const errors = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));

  it("accepts the examples' pipelines and every check kind written as the docs show", () => {
    for (const file of ['../../examples/demo/slipway.yaml', '../../examples/demo/web.yaml', '../../examples/first-steps/slipway.yaml']) {
      expect(errors(parse(readFileSync(new URL(file, import.meta.url), 'utf8'))), file).toEqual([]);
    }
    const doc = pipeline(
      [
        { name: 'hold', kind: 'gate', properties: { interval: '30s', steady: '10m', signals: [{ name: 'health', http: { url: 'https://shop.example.com/health', condition: '$.status == "green"' } }, { name: 'hours', businessHours: { timeZone: 'Europe/Berlin', days: ['mon'], from: '09:00', to: '17:00' } }] } },
        { name: 'sign-off', kind: 'approval', properties: { minApprovers: 2, approvers: [{ groups: ['qa'], min: 1 }], timeout: '2d', onTimeout: 'fail' } },
        { name: 'quality', kind: 'evaluation', properties: { slo: 'slo.yaml', sli: 'sli.yaml', prometheus: { url: 'http://127.0.0.1:9090' }, window: '5m' } },
        { name: 'soak', kind: 'wait', properties: { duration: '10m', alarms: [] } },
      ],
      { gates: { exit: { signals: [{ name: 'errors', prometheus: { url: 'http://127.0.0.1:9090', query: 'up', condition: 'result > 0' } }] } } },
    );
    expect(errors(doc)).toEqual([]);
  });

  it("points at the bad field of a check kind's properties, by kind", () => {
    const bad = pipeline([
      { name: 'hold', kind: 'gate', properties: { signals: [{ name: 'two', http: { url: 'http://x' }, stage: { name: 'dev', noFailedRunsFor: '1h' } }] } },
      { name: 'sign-off', kind: 'approval', properties: { minApprovers: 0 } },
      { name: 'quality', kind: 'evaluation', properties: { provider: 'graphite' } },
      // The same properties on a kind the schema does not describe are that kind's business.
      { name: 'custom', kind: 'shell', properties: { run: 'true' } },
    ]);
    const found = errors(bad).join('\n');
    expect(found).toMatch(/\/spec\/stages\/0\/tasks\/0\/properties\/signals\/0 must match exactly one schema/);
    expect(found).toMatch(/\/spec\/stages\/0\/tasks\/1\/properties\/minApprovers must be >= 1/);
    expect(found).toMatch(/\/spec\/stages\/0\/tasks\/2\/properties\/provider must be equal to one of the allowed values/);
    expect(found).not.toMatch(/tasks\/3/);
    const gate = errors(pipeline([{ name: 'a', kind: 'shell', properties: { run: 'true' } }], { gates: { entry: { signals: [] } } })).join('\n');
    expect(gate).toMatch(/\/spec\/stages\/0\/gates\/entry\/signals must NOT have fewer than 1 items/);
  });
});
