/**
 * Keptn projects beside their shipyard: SLO and SLI files are recognised as what they are (not
 * pipelines with a missing apiVersion), Keptn task names route as in Keptn (approval and
 * evaluation built-in, the rest to outside executors, never silently to a built-in of the same
 * name), slipway.keptn.yaml maps tasks to built-ins and names the project, and a server-style
 * load of a directory with SLO files beside it works.
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openSlipway } from '../../src/main.js';
import type { Slipway } from '../../src/main.js';
import { keptnResourceKind, loadPipeline } from '../../src/spec/index.js';
import type { KindCatalog } from '../../src/spec/index.js';
import { KEPTN_DIR, errorOf } from './helpers.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const SLO_DIR = fileURLToPath(new URL('../conformance/keptn/slo/', import.meta.url));
const QUICKSTART = join(KEPTN_DIR, '02_examples_quickstart_demo_shipyard.yaml');
const SLO = join(SLO_DIR, '02_examples_quickstart_demo_slo.yaml');
const SLI = join(SLO_DIR, '02_examples_quickstart_demo_prometheus_sli.yaml');

const catalog: KindCatalog = {
  served: new Map(['approval', 'evaluation', 'release', 'wait', 'shell'].map((k) => [k, () => []])),
  builtins: ['approval', 'evaluation', 'release', 'wait', 'shell'],
};

const kindsOf = (text: string, opts: Parameters<typeof loadPipeline>[2] = {}) => {
  const { pipeline } = loadPipeline(text, 'shipyard.yaml', opts);
  return Object.fromEntries(pipeline.stages.flatMap((s) => s.sequences.flatMap((q) => q.steps.flatMap((st) => st.tasks.map((t) => [`${s.name}/${q.name}/${t.name}`, t.kind])))));
};

describe('Keptn SLO and SLI files', () => {
  it('are told apart from pipelines by their keys', async () => {
    expect(keptnResourceKind({ spec_version: '0.1.0', objectives: [] })).toBe('SLO');
    expect(keptnResourceKind({ spec_version: '1.0', indicators: {} })).toBe('SLI');
    expect(keptnResourceKind({ apiVersion: 'slipway/v1', spec_version: '1', objectives: [] })).toBeUndefined();
    expect(keptnResourceKind({ objectives: [] })).toBeUndefined();
  });

  it.each([
    [SLO, 'SLO', 'objectives'],
    [SLI, 'SLI', 'indicators'],
  ])('%s given as a pipeline says it is a Keptn %s file, not "apiVersion: is required"', async (file, what, key) => {
    const err = errorOf(() => loadPipeline(readSync(file), file));
    expect(err.message).toContain(`this is a Keptn ${what} file (spec_version and ${key}), not a pipeline`);
    expect(err.message).toContain(`keptn/<stage>/<service>/${what.toLowerCase()}.yaml`);
    expect(err.message).not.toContain('apiVersion: is required');
  });
});

describe('Keptn task kinds', () => {
  it('approval and evaluation stay built-in; release, which a built-in also serves, goes outside as keptn.release; the rest keep their names', async () => {
    expect(kindsOf(await readFile(QUICKSTART, 'utf8'), { kinds: catalog })).toEqual({
      'hardening/delivery/deployment': 'deployment',
      'hardening/delivery/test': 'test',
      'hardening/delivery/evaluation': 'evaluation',
      'hardening/evaluation/evaluation': 'evaluation',
      'production/delivery/deployment': 'deployment',
      'production/delivery/release': 'keptn.release',
      'production/remediation/get-action': 'get-action',
      'production/remediation/action': 'action',
      'production/remediation/evaluation': 'evaluation',
      'production/evaluation/evaluation': 'evaluation',
    });
  });

  it('slipway.keptn.yaml maps release to the built-in release, sends evaluation outside, and refuses a mapping to a kind nothing serves', async () => {
    const kinds = kindsOf(await readFile(QUICKSTART, 'utf8'), { kinds: catalog, keptn: { project: { builtin: { release: 'release' }, outside: ['evaluation'] } } });
    expect(kinds['production/delivery/release']).toBe('release');
    expect(kinds['hardening/delivery/evaluation']).toBe('keptn.evaluation');
    expect(kinds['production/evaluation/evaluation']).toBe('keptn.evaluation');
    // No executor serves `lighthouse` here: that is an error, named.
    const err = errorOf(() =>
      loadPipeline(readSync(QUICKSTART), 'shipyard.yaml', { kinds: catalog, keptn: { project: { builtin: { evaluation: 'lighthouse' } } } }),
    );
    expect(err.message).toContain("slipway.keptn.yaml maps Keptn task 'evaluation' to the built-in kind 'lighthouse', which no executor here serves");
  });

  it('a task named like a built-in (wait) goes outside as keptn.wait; without a kind catalog nothing is renamed', async () => {
    const text = ['apiVersion: spec.keptn.sh/0.2.3', 'kind: Shipyard', 'metadata: {name: p}', 'spec:', '  stages:', '    - name: dev', '      sequences:', '        - name: delivery', '          tasks: [{name: wait}, {name: approval}]', ''].join('\n');
    expect(kindsOf(text, { kinds: catalog })['dev/delivery/wait']).toBe('keptn.wait');
    expect(kindsOf(text)['dev/delivery/wait']).toBe('wait');
  });

  it('the project name comes from --project, then slipway.keptn.yaml, then metadata.name', async () => {
    const text = readSync(QUICKSTART);
    expect(loadPipeline(text, 's.yaml').pipeline.name).toBe('shipyard-sockshop');
    expect(loadPipeline(text, 's.yaml', { keptn: { project: { project: 'sockshop' } } }).pipeline.name).toBe('sockshop');
    expect(loadPipeline(text, 's.yaml', { keptn: { project: { project: 'sockshop' }, name: 'shop2' } }).pipeline.name).toBe('shop2');
  });
});

describe('a Keptn project directory loaded by Slipway', () => {
  const open: { sw: Slipway; dir: string }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.sw.close();
      await rm(o.dir, { recursive: true, force: true });
    }
  });
  const start = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-keptn-files-'));
    const sw = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))) });
    open.push({ sw, dir });
    return { sw, dir };
  };

  it('loads the directory with slipway.keptn.yaml (name, built-in release) and takes SLO/SLI files beside it as what they are', async () => {
    const { sw, dir } = await start();
    const project = join(dir, 'project');
    await mkdir(project);
    await copyFile(QUICKSTART, join(project, 'shipyard.yaml'));
    await writeFile(join(project, 'slipway.keptn.yaml'), 'keptn:\n  project: sockshop\n  builtin: {release: release}\n');
    const got = await sw.addProjectFiles([project, SLO, SLI]);
    expect(got.loaded.map((l) => l.pipeline.name)).toEqual(['sockshop']);
    expect(got.notes).toHaveLength(2);
    expect(got.notes[0]).toContain('Keptn SLO file for sockshop');
    const release = sw.engine.pipeline('sockshop')?.stages.find((s) => s.name === 'production')?.sequences[0]?.steps[1]?.tasks[0];
    expect(release).toMatchObject({ name: 'release', kind: 'release' });
  });

  it('without slipway.keptn.yaml, release goes outside and --project names the project', async () => {
    const { sw } = await start();
    const loaded = await sw.addPipelineFile(QUICKSTART, { project: 'sockshop' });
    expect(loaded.pipeline.name).toBe('sockshop');
    expect(loaded.pipeline.stages[1]?.sequences[0]?.steps[1]?.tasks[0]?.kind).toBe('keptn.release');
  });

  it("by default Keptn's release task waits for an outside executor (kind keptn.release); the built-in release never takes it", async () => {
    const { sw, dir } = await start();
    const yaml = ['apiVersion: spec.keptn.sh/0.2.3', 'kind: Shipyard', 'metadata: {name: keptn-like}', 'spec:', '  stages:', '    - name: production', '      sequences:', '        - name: delivery', '          tasks: [{name: release}]', ''].join('\n');
    await sw.addPipelineText(yaml, 'shipyard.yaml', dir);
    const claimed = sw.engine.claim({ kinds: ['keptn.release'], executor: 'helm', leaseMs: 10_000, waitMs: 5000 });
    await sw.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'keptn-like', artifacts: { api: 'api:1' } });
    expect((await claimed)?.task).toMatchObject({ name: 'release', kind: 'keptn.release' });
  });

  it('an SLO file alone, or a bad one, fails naming the file', async () => {
    const { sw, dir } = await start();
    await expect(sw.addProjectFiles([SLO])).rejects.toThrow('needs a shipyard beside it on the command line');
    const bad = join(dir, 'slo.yaml');
    await writeFile(bad, 'spec_version: "0.1.0"\nobjectives:\n  - displayName: no sli\ntotal_score: {pass: "90%"}\n');
    await expect(sw.addProjectFiles([QUICKSTART, bad])).rejects.toThrow(`${bad}:3:`);
  });
});

function readSync(file: string): string {
  return readFileSync(file, 'utf8');
}
