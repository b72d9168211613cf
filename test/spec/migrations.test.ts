/** slipway.yaml: a migrate expand must run before the deploy. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';
import { errorOf, slipway } from './helpers.js';

const load = (text: string) => loadPipeline(text, 's.yaml');
const EXPAND = '{name: expand, kind: migrate, properties: {phase: expand, database: app.db}}';
const DEPLOY = '{name: deploy, kind: deploy, properties: {strategy: direct}}';

describe('slipway.yaml migrate tasks', () => {
  it('loads an expand placed before the deploy', () => {
    const { pipeline } = load(slipway('    - name: prod', '      tasks:', `        - ${EXPAND}`, `        - ${DEPLOY}`));
    expect(pipeline.stages[0]!.sequences[0]!.steps.map((s) => s.tasks[0]!.kind)).toEqual(['migrate', 'deploy']);
  });

  it('refuses an expand after the deploy, naming the task, the deploy and the fix', () => {
    const e = errorOf(() => load(slipway('    - name: prod', '      tasks:', `        - ${DEPLOY}`, `        - ${EXPAND}`)));
    expect(e.code).toBe('SPEC_FIELD');
    expect(e.message).toContain('s.yaml:');
    expect(e.message).toContain("migrate task 'expand' (phase expand) runs after deploy task 'deploy': an expand must finish before the new version takes traffic; move it above 'deploy'");
  });

  it('refuses an expand in parallel with the deploy', () => {
    const e = errorOf(() => load(slipway('    - name: prod', '      tasks:', '        - parallel:', `            - ${DEPLOY}`, `            - ${EXPAND}`)));
    expect(e.message).toContain('runs alongside deploy task');
  });
});
