/**
 * The stress part's projects: P projects × 5 stages × V services, each stage one `evaluation`
 * task, a quality gate scoring a 5-objective Keptn SLO with values from the built-in router
 * provider (`provider: router`), which needs no outside server. No traffic goes through a
 * router here, so the values are zero counts: the measured cost is the evaluation's (SLI
 * read, history of earlier evaluations from the store, scoring, the events), not a metrics
 * backend's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { STAGES } from './api.js';

export const stressProject = (i: number): string => `proj-${String(i).padStart(2, '0')}`;
export const stressService = (i: number): string => `svc-${String(i).padStart(2, '0')}`;

/** Five objectives: absolute and relative (compared with the 3 last passing results, as Keptn's default several_results). */
export function stressSlo(): string {
  return stringify({
    spec_version: '1.0',
    comparison: { compare_with: 'several_results', number_of_comparison_results: 3, include_result_with_score: 'pass', aggregate_function: 'avg' },
    objectives: [
      { sli: 'requests', pass: [{ criteria: ['<=+10%', '<100000'] }], warning: [{ criteria: ['<200000'] }] },
      { sli: 'throughput', pass: [{ criteria: ['<1000'] }], weight: 2 },
      { sli: 'error_count', key_sli: true, pass: [{ criteria: ['<=0'] }], warning: [{ criteria: ['<=5'] }] },
      { sli: 'requests', displayName: 'requests_growth', pass: [{ criteria: ['<=+50%'] }] },
      { sli: 'throughput', displayName: 'throughput_floor', pass: [{ criteria: ['>=0'] }] },
    ],
    total_score: { pass: '90%', warning: '75%' },
  });
}

/** A pipeline of `stages` in a chain (each after the one before), one task each (`task`: its YAML flow mapping). */
export function chainPipeline(name: string, services: readonly string[], stages: readonly string[], task: string): string {
  const lines = ['apiVersion: slipway/v1', 'kind: Pipeline', `metadata: {name: ${name}}`, 'spec:', `  services: [${services.join(', ')}]`, '  stages:'];
  stages.forEach((stage, i) => {
    lines.push(`    - name: ${stage}`);
    if (i > 0) lines.push(`      after: [${stages[i - 1]}]`);
    lines.push('      tasks:', `        - ${task}`);
  });
  return `${lines.join('\n')}\n`;
}

export function stressPipeline(name: string, services: number): string {
  return chainPipeline(name, Array.from({ length: services }, (_, i) => stressService(i)), STAGES, '{name: quality-gate, kind: evaluation, properties: {slo: slo.yaml, provider: router, window: 1m}}');
}

/** Writes one directory per project (slipway.yaml, slo.yaml) under `root`; their paths, for `slipway server`. */
export function writeStressProjects(root: string, projects: number, services: number): string[] {
  const slo = stressSlo();
  return Array.from({ length: projects }, (_, i) => {
    const dir = join(root, stressProject(i));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'slipway.yaml'), stressPipeline(stressProject(i), services));
    writeFileSync(join(dir, 'slo.yaml'), slo);
    return dir;
  });
}
