/**
 * The contract every SLI provider keeps, run against each (prometheus-provider.test.ts,
 * router-provider.test.ts). A fixture arranges real traffic or series and says what it expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SliProvider, SliQuery } from '../../../src/evaluation/index.js';

export interface ProviderFixture {
  provider: SliProvider;
  /** A window over which the fixture arranged known values. */
  query: SliQuery;
  /** SLI → the value the provider must give for `query` (within 1e-6 relative). */
  expected: Record<string, number>;
  /** A service the source has no data for. */
  emptyQuery: SliQuery;
  /** An SLI that has no value without data (missing on `emptyQuery`). */
  needsData: string;
  close(): Promise<void>;
}

export function sliProviderContract(name: string, skipReason: string | undefined, setup: () => Promise<ProviderFixture>): void {
  describe.skipIf(skipReason !== undefined)(`SLI provider contract: ${name}${skipReason ? ` (${skipReason})` : ''}`, () => {
    let f: ProviderFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f?.close();
    });

    it('measures the arranged values, one entry per asked name in the asked order', async () => {
      const names = Object.keys(f.expected).reverse();
      const got = await f.provider.values(names, f.query);
      expect(Object.keys(got.values)).toEqual(names);
      for (const n of names) {
        expect(got.missing[n], `${n} should not be missing`).toBeUndefined();
        expect(got.values[n]).toBeCloseTo(f.expected[n]!, 6);
      }
    });

    it('gives an unknown SLI no value and a reason that names it, without failing the others', async () => {
      const [known] = Object.keys(f.expected);
      const got = await f.provider.values([known!, 'no_such_sli'], f.query);
      expect(got.values.no_such_sli).toBeUndefined();
      expect('no_such_sli' in got.values).toBe(true);
      expect(got.missing.no_such_sli).toContain('no_such_sli');
      expect(got.values[known!]).toBeCloseTo(f.expected[known!]!, 6);
    });

    it('says why a service without data has no value, instead of throwing or inventing one', async () => {
      const got = await f.provider.values([f.needsData], f.emptyQuery);
      expect(got.values[f.needsData]).toBeUndefined();
      expect(got.missing[f.needsData]).toMatch(/no (data|requests)/);
    });

    it('answers nothing for no names, and the same again for the same window', async () => {
      expect((await f.provider.values([], f.query)).values).toEqual({});
      const names = Object.keys(f.expected);
      const a = await f.provider.values(names, f.query);
      const b = await f.provider.values(names, f.query);
      for (const n of names) expect(b.values[n]).toBeCloseTo(a.values[n]!, 9);
    });
  });
}
