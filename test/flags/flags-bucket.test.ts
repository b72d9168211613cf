/**
 * The fractional rollout rule: bucket = murmur3(flag/key) mod 10000, in the variant iff
 * bucket < percent × 100. Growing the share never takes a user back out, the share lands
 * near the percent, and evaluation follows rules, then the share.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlagSpec } from '../../src/core/index.js';
import { BUCKETS, bucketOf, evaluateFlag, inRollout, murmur3 } from '../../src/flags/index.js';

const spec: FlagSpec = { variants: { on: true, off: false }, default: 'off' };
const percent = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);

describe('fractional rollout', () => {
  it('is MurmurHash3 x86-32: known vectors', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(murmur3(enc(''))).toBe(0);
    expect(murmur3(enc('hello'))).toBe(0x248bfa47);
    expect(murmur3(enc('The quick brown fox jumps over the lazy dog'))).toBe(0x2e4ff723);
  });

  it('is monotone in percent: a user in at p stays in at every q ≥ p', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), percent, percent, (flag, user, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (inRollout(flag, user, lo)) expect(inRollout(flag, user, hi)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('puts nobody in at 0% and everybody in at 100%; the bucket is stable and in range', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (flag, user) => {
        const b = bucketOf(flag, user);
        expect(b).toBe(bucketOf(flag, user));
        expect(b >= 0 && b < BUCKETS).toBe(true);
        expect(inRollout(flag, user, 0)).toBe(false);
        expect(inRollout(flag, user, 100)).toBe(true);
      }),
    );
  });

  it('gives close to the share asked for over many users', () => {
    const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    for (const p of [1, 5, 25, 50, 90]) {
      const share = users.filter((u) => inRollout('new-checkout', u, p)).length / users.length;
      expect(Math.abs(share - p / 100)).toBeLessThan(0.01);
    }
  });

  it('places users independently per flag: the first 5% of one flag are not the first 5% of another', () => {
    const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    const a = new Set(users.filter((u) => inRollout('flag-a', u, 5)));
    const both = users.filter((u) => a.has(u) && inRollout('flag-b', u, 5)).length;
    expect(both).toBeLessThan(a.size / 4);
  });
});

describe('evaluateFlag', () => {
  it('serves the default with reason DEFAULT when nothing was set, and at 0%', () => {
    expect(evaluateFlag('f', spec, undefined, {})).toEqual({ key: 'f', value: false, variant: 'off', reason: 'DEFAULT' });
    expect(evaluateFlag('f', spec, { variant: 'on', percent: 0 }, { targetingKey: 'u' })).toMatchObject({ variant: 'off', reason: 'DEFAULT' });
  });

  it('serves everyone the variant at 100% (STATIC, no targeting key needed)', () => {
    expect(evaluateFlag('f', spec, { variant: 'on', percent: 100 }, {})).toMatchObject({ value: true, variant: 'on', reason: 'STATIC' });
  });

  it('splits by targeting key between 0 and 100%, and says TARGETING_KEY_MISSING without one', () => {
    expect(evaluateFlag('f', spec, { variant: 'on', percent: 25 }, {})).toMatchObject({ key: 'f', errorCode: 'TARGETING_KEY_MISSING' });
    const e = evaluateFlag('f', spec, { variant: 'on', percent: 25 }, { targetingKey: 'user-42' });
    expect(e).toMatchObject({ reason: 'SPLIT', variant: inRollout('f', 'user-42', 25) ? 'on' : 'off' });
  });

  it('applies rules first (TARGETING_MATCH), whatever the share', () => {
    const r = { variant: 'on', percent: 0, rules: [{ attribute: 'email', op: 'endsWith' as const, value: '@example.com', variant: 'on' }] };
    expect(evaluateFlag('f', spec, r, { targetingKey: 'u', email: 'ann@example.com' })).toMatchObject({ variant: 'on', reason: 'TARGETING_MATCH' });
    expect(evaluateFlag('f', spec, r, { targetingKey: 'u', email: 'ann@elsewhere.org' })).toMatchObject({ variant: 'off', reason: 'DEFAULT' });
  });
});
