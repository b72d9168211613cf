/**
 * The web bench's project: `stages` stages in a tree (each stage after stage ⌊(i-1)/10⌋, so
 * a release fans out ten ways per level instead of walking a chain of a thousand), `services`
 * services, one `noop` task per stage; the last stage takes releases that skipped its upstream. Seeded in-process through the engine, as bench/api.ts
 * seeds: one release carrying every service (a bracket), so every cell ends `succeeded`.
 */
import type { Slipway } from '../src/main.js';
import { round } from './stats.js';

export const WEB_PROJECT = 'web-bench';
const FAN_OUT = 10;

export const stageName = (i: number): string => `st-${String(i).padStart(4, '0')}`;
export const serviceName = (i: number): string => `svc-${String(i).padStart(2, '0')}`;

export function treeYaml(stages: number, services: number): string {
  const lines = ['apiVersion: slipway/v1', 'kind: Pipeline', `metadata: {name: ${WEB_PROJECT}}`, 'spec:'];
  lines.push(`  services: [${Array.from({ length: services }, (_, i) => serviceName(i)).join(', ')}]`, '  stages:');
  for (let i = 0; i < stages; i++) {
    lines.push(`    - name: ${stageName(i)}`);
    if (i > 0) lines.push(`      after: [${stageName(Math.floor((i - 1) / FAN_OUT))}]`);
    // The live updates are triggered straight into the last stage (a leaf), one service at a time.
    if (i === stages - 1 && i > 0) lines.push('      requireUpstream: false');
    lines.push('      tasks: [{name: deploy, kind: noop}]');
  }
  return `${lines.join('\n')}\n`;
}

/** Loads the project and runs one bracket release through every stage; the seconds it took. */
export async function seedTree(slipway: Slipway, dataDir: string, stages: number, services: number, timeoutMs: number): Promise<{ runs: number; seconds: number }> {
  const { engine } = slipway;
  await slipway.addPipelineText(treeYaml(stages, services), `bench:${WEB_PROJECT}`, dataDir);
  let finished = 0;
  let failed = 0;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web seeding: only ${finished} of ${stages} runs finished within ${timeoutMs} ms`)), timeoutMs);
    const onFinished = (run: { project: string; state: string }) => {
      if (run.project !== WEB_PROJECT) return;
      finished++;
      if (run.state !== 'succeeded') failed++;
      if (finished === stages) {
        clearTimeout(timer);
        engine.emitter.off('run:finished', onFinished);
        if (failed > 0) reject(new Error(`web seeding: ${failed} of ${stages} runs did not succeed`));
        else resolve();
      }
    };
    engine.emitter.on('run:finished', onFinished);
    const artifacts = Object.fromEntries(Array.from({ length: services }, (_, v) => [serviceName(v), `registry.example/${WEB_PROJECT}/${serviceName(v)}:1.0.0`]));
    engine.apply({ type: 'trigger', id: 'web-seed', project: WEB_PROJECT, artifacts, provenance: { source: 'bench' } }).catch(reject);
  });
  return { runs: stages, seconds: round((performance.now() - start) / 1000, 3) };
}
