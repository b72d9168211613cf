/** spec.flags in slipway.yaml: declarations map to the core, and mistakes name file:line:col and the field. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf } from '../spec/helpers.js';

const file = (flags: string, task: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  flags:
${flags}
  stages:
    - name: production
      tasks:
${task}
`;

const FLAG = '    new-checkout: {variants: {on: true, off: false}, default: off}';
const RAMP = '        - {name: ramp, kind: flag, properties: {flag: new-checkout, variant: on, percent: 25}}';

describe('spec.flags', () => {
  it('maps declarations to the pipeline', () => {
    const { pipeline } = loadPipeline(file(FLAG, RAMP), 'slipway.yaml');
    expect(pipeline.flags?.['new-checkout']).toMatchObject({ variants: { on: true, off: false }, default: 'off' });
  });

  it('refuses a default that is not among the variants, at its line and column', () => {
    const e = errorOf(() => loadPipeline(file('    new-checkout: {variants: {on: true, off: false}, default: maybe}', RAMP), 'slipway.yaml'));
    expect(e.code).toBe('SPEC_REFERENCE');
    expect(e.message).toContain('slipway.yaml:6:');
    expect(e.message).toContain("default 'maybe' of flag 'new-checkout' is not among its variants; variants: on, off");
  });

  it('refuses a flag task naming an undeclared flag, naming the field and the declared ones', () => {
    const e = errorOf(() => loadPipeline(file(FLAG, '        - {name: ramp, kind: flag, properties: {flag: old-checkout, variant: on, percent: 25}}'), 'slipway.yaml'));
    expect(e.message).toMatch(/slipway\.yaml:10:\d+/);
    expect(e.message).toContain('properties.flag');
    expect(e.message).toContain("names flag 'old-checkout', which spec.flags does not declare; declared flags: new-checkout");
  });

  it('refuses a flag task naming a variant the flag does not have', () => {
    const e = errorOf(() => loadPipeline(file(FLAG, '        - {name: ramp, kind: flag, properties: {flag: new-checkout, variant: yes, percent: 25}}'), 'slipway.yaml'));
    expect(e.message).toContain("names variant 'yes' of flag 'new-checkout', which it does not have; variants: on, off");
  });

  it('refuses a flag without variants', () => {
    const e = errorOf(() => loadPipeline(file('    new-checkout: {variants: {}, default: off}', RAMP), 'slipway.yaml'));
    expect(e.message).toContain('a flag needs at least one variant');
  });
});
