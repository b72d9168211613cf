import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pipelineJsonSchema } from '../../src/spec/index.js';

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
