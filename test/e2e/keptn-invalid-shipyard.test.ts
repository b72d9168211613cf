/**
 * 07: the Keptn spec's own example shipyard is mis-indented (`properties:` on line 42 under the
 * compact mapping `- name: deployment` of line 41). Loading it through
 * the composition root is refused with an error naming the file and the line, and nothing
 * reaches the store or the engine.
 */
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/index.js';
import type { Slipway } from '../../src/main.js';
import { SHIPYARD, shipyard, slipwayHarness, trigger } from './support/slipway.js';

const harness = slipwayHarness();
const PROJECT = 'shipyard-sockshop';
const FILE = shipyard(SHIPYARD.invalidIndent);

async function refusal(sw: Slipway): Promise<SlipwayError> {
  const e = await sw.addPipelineFile(FILE).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SlipwayError);
  return e as SlipwayError;
}

describe('07 INVALID-INDENT shipyard', () => {
  it('is refused with a SlipwayError naming the file and line, and nothing is written to the store', async () => {
    const { sw } = await harness.open();
    const e = await refusal(sw);

    expect(e.code).toBe('SPEC_YAML');
    expect(e.message).toContain(`${FILE}:41:`);
    expect(e.message).toMatch(/check the indentation/);
    expect(e.fields).toMatchObject({ file: FILE, line: 41 });

    expect(await sw.store.latestPipelines()).toEqual([]);
    expect(await sw.store.events({})).toEqual([]);
    expect(await sw.store.listRuns({})).toEqual([]);
    expect(sw.engine.pipeline(PROJECT)).toBeUndefined();
    await expect(trigger(sw, { project: PROJECT })).rejects.toMatchObject({ code: 'UNKNOWN_PROJECT' });
  });

  it('does not replace the pipeline already current under the same name (02 quickstart)', async () => {
    const { sw } = await harness.open();
    const good = await sw.addPipelineFile(shipyard(SHIPYARD.quickstart));
    expect(good.pipeline.name).toBe(PROJECT);

    await refusal(sw);

    expect(sw.engine.pipeline(PROJECT)?.version).toBe(good.pipeline.version);
    expect((await sw.store.latestPipelines(PROJECT)).map((p) => p.version)).toEqual([good.pipeline.version]);
    expect(await sw.store.events({})).toEqual([]);
  });
});
