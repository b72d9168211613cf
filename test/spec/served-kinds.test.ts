/**
 * The kinds check through the composition root: openSlipway knows which executors this
 * process has and which kinds the server leaves to outside executors (`outsideKinds`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSlipway } from '../../src/main.js';
import { slipway as pipelineWith } from './helpers.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const JMETER = pipelineWith('    - name: dev', '      tasks:', '        - {name: perf, kind: jmeter}');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-kinds-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('kinds served in this process', () => {
  it('a kind no executor serves is refused; the outsideKinds option lets outside executors serve it', async () => {
    const plain = await openSlipway({ dataDir: join(dir, 'plain'), ...(await storeOptionFor(join(dir, 'plain'))) });
    try {
      await expect(plain.addPipelineText(JMETER, 's.yaml', dir)).rejects.toMatchObject({
        code: 'SPEC_REFERENCE',
        fields: { file: 's.yaml', line: 8, column: 30, field: 'spec.stages[0].tasks[0].kind' },
      });
      expect(plain.engine.pipeline('shop')).toBeUndefined();
    } finally {
      await plain.close();
    }
    const outside = await openSlipway({ dataDir: join(dir, 'outside'), ...(await storeOptionFor(join(dir, 'outside'))), outsideKinds: ['jmeter'] });
    try {
      await outside.addPipelineText(JMETER, 's.yaml', dir);
      expect(outside.engine.pipeline('shop')?.stages[0]?.sequences[0]?.steps[0]?.tasks[0]?.kind).toBe('jmeter');
    } finally {
      await outside.close();
    }
  });

  it('a stored pipeline whose kind is no longer served still loads when Slipway restarts', async () => {
    const data = join(dir, 'data');
    const first = await openSlipway({ dataDir: data, ...(await storeOptionFor(data)), outsideKinds: ['jmeter'] });
    await first.addPipelineText(JMETER, 's.yaml', dir);
    await first.close();
    const again = await openSlipway({ dataDir: data, ...(await storeOptionFor(data)) });
    try {
      expect(again.engine.pipeline('shop')?.stages[0]?.sequences[0]?.steps[0]?.tasks[0]?.kind).toBe('jmeter');
    } finally {
      await again.close();
    }
  });

  it('a soak of 0s is refused at load, naming the property', async () => {
    const s = await openSlipway({ dataDir: join(dir, 'soak'), ...(await storeOptionFor(join(dir, 'soak'))) });
    try {
      const text = pipelineWith('    - name: dev', '      tasks:', '        - {name: soak, kind: wait, properties: {duration: 0s}}');
      await expect(s.addPipelineText(text, 's.yaml', dir)).rejects.toMatchObject({
        code: 'SPEC_FIELD',
        message: expect.stringContaining("s.yaml:8:59: spec.stages[0].tasks[0].properties.duration: wait task 'soak': duration \"0s\" is shorter than 1s"),
      });
    } finally {
      await s.close();
    }
  });

  it('deploy pauses, dark launches and keepPrevious longer than a year are refused at load, naming the property', async () => {
    const s = await openSlipway({ dataDir: join(dir, 'deploy'), ...(await storeOptionFor(join(dir, 'deploy'))) });
    try {
      const cases: [string, string][] = [
        ['{name: deploy, kind: deploy, properties: {strategy: canary, steps: [{setWeight: 10}, {pause: 400d}]}}', 'properties.steps[1].pause'],
        ['{name: deploy, kind: deploy, properties: {strategy: dark, darkFor: 0.5s}}', 'properties.darkFor'],
        ['{name: release, kind: release, properties: {keepPrevious: 9999999d}}', 'properties.keepPrevious'],
      ];
      for (const [task, field] of cases) {
        const text = pipelineWith('    - name: dev', '      tasks:', `        - ${task}`);
        await expect(s.addPipelineText(text, 's.yaml', dir)).rejects.toMatchObject({ code: 'SPEC_FIELD', message: expect.stringContaining(field) });
      }
    } finally {
      await s.close();
    }
  });
});
