/**
 * SLO and SLI files are parsed once per text: every evaluation task loads its slo.yaml, and
 * parsing it again each time cost more than the scoring (the stress bench's profile). The file
 * is still read each time, so an edit counts at the next task, and a broken edit fails with
 * its line, not with the last good value.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeptnSliFile, loadKeptnSloFile } from '../../src/spec/index.js';
import { errorOf } from './helpers.js';

const SLO_DIR = fileURLToPath(new URL('../conformance/keptn/slo/', import.meta.url));
const SLO = join(SLO_DIR, '02_examples_quickstart_demo_slo.yaml');
const SLI = join(SLO_DIR, '02_examples_quickstart_demo_prometheus_sli.yaml');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-slo-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SLO and SLI files loaded by path', () => {
  it('give the same frozen value while the text is the same, and the new one after an edit', async () => {
    const file = join(dir, 'slo.yaml');
    await copyFile(SLO, file);
    const first = loadKeptnSloFile(file);
    expect(loadKeptnSloFile(file)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.objectives[0])).toBe(true);
    expect(() => (first.objectives as unknown[]).push({})).toThrow(TypeError);

    await writeFile(file, 'spec_version: "0.1.0"\nobjectives:\n  - sli: response_time_p95\n  - sli: added_in_an_edit\ntotal_score: {pass: "90%"}\n');
    const edited = loadKeptnSloFile(file);
    expect(edited).not.toBe(first);
    expect(edited.objectives.map((o) => o.sli)).toEqual(['response_time_p95', 'added_in_an_edit']);
    // Back to the first text: parsed again (only the last text of a path is kept), same content.
    await copyFile(SLO, file);
    expect(loadKeptnSloFile(file)).toEqual(first);
  });

  it('a broken edit fails with its file and line, not with the last good value', async () => {
    const file = join(dir, 'slo.yaml');
    await copyFile(SLO, file);
    loadKeptnSloFile(file);
    await writeFile(file, 'spec_version: "0.1.0"\nobjectives:\n  - sli: [unclosed\n');
    const err = errorOf(() => loadKeptnSloFile(file));
    expect(err.message).toMatch(new RegExp(`^${file}:\\d+:\\d+: .*invalid YAML`));
    // Fixed again: loads.
    await copyFile(SLO, file);
    expect(loadKeptnSloFile(file).objectives.length).toBeGreaterThan(0);
  });

  it('a file that went away is an error naming it, even after it loaded once', async () => {
    const file = join(dir, 'sli.yaml');
    await copyFile(SLI, file);
    expect(Object.keys(loadKeptnSliFile(file).indicators).length).toBeGreaterThan(0);
    await rm(file);
    expect(errorOf(() => loadKeptnSliFile(file)).message).toContain(`${file}: cannot read the SLI file`);
  });
});
