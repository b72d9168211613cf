/** Idempotency keys: claimed once per key and caller, settled with the answer, released, and pruned when expired. */
import { describe, expect, it } from 'vitest';
import type { IdempotencyRow } from '../../../src/store/index.js';
import { T0 } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

const HOUR = 3_600_000;
const pending = (over: Partial<IdempotencyRow> = {}): IdempotencyRow => ({
  key: 'k-1',
  principal: 'tok-a',
  fingerprint: 'f-1',
  request: 'POST /api/v1/projects/shop/releases',
  createdAt: T0,
  expiresAt: T0 + 60_000,
  ...over,
});

export function idempotencyCases(current: CurrentHarness): void {
  describe('idempotency keys', () => {
    it('the first claim takes the key; a second finds it pending, then answered once settled; another caller has its own key', async () => {
      const { store } = current();
      expect(await store.claimIdempotencyKey(pending())).toBeUndefined();
      expect(await store.claimIdempotencyKey(pending({ fingerprint: 'f-2', createdAt: T0 + 1 }))).toStrictEqual(pending());
      expect(await store.claimIdempotencyKey(pending({ principal: 'tok-b' }))).toBeUndefined();
      const answer = { status: 201, contentType: 'application/json; charset=utf-8', body: '{"ok":true}' };
      await store.settleIdempotencyKey('k-1', 'tok-a', answer, T0 + 24 * HOUR);
      expect(await store.claimIdempotencyKey(pending({ createdAt: T0 + 2 }))).toStrictEqual({ ...pending(), answer, expiresAt: T0 + 24 * HOUR });
      expect(await store.idempotencyKey('k-1', 'tok-a')).toStrictEqual({ ...pending(), answer, expiresAt: T0 + 24 * HOUR });
      // Released keys are pending ones only: an answered key stays.
      await store.releaseIdempotencyKey('k-1', 'tok-a');
      expect((await store.idempotencyKey('k-1', 'tok-a'))?.answer).toStrictEqual(answer);
      await store.releaseIdempotencyKey('k-1', 'tok-b');
      expect(await store.idempotencyKey('k-1', 'tok-b')).toBeUndefined();
    });

    it('an expired row is replaced by the next claim and pruned; pending rows are pruned when asked', async () => {
      const { store } = current();
      await store.claimIdempotencyKey(pending());
      await store.settleIdempotencyKey('k-1', 'tok-a', { status: 204, contentType: '', body: '' }, T0 + HOUR);
      await store.claimIdempotencyKey(pending({ key: 'k-2' }));
      await store.claimIdempotencyKey(pending({ key: 'k-3', expiresAt: T0 + 48 * HOUR }));
      expect(await store.claimIdempotencyKey(pending({ createdAt: T0 + HOUR, fingerprint: 'f-new', expiresAt: T0 + 2 * HOUR }))).toBeUndefined();
      expect((await store.idempotencyKey('k-1', 'tok-a'))?.fingerprint).toBe('f-new');
      // k-2 expired at T0 + 60 s; k-1 (now pending until T0 + 2 h) and k-3 stay.
      expect(await store.pruneIdempotencyKeys(T0 + HOUR)).toBe(1);
      expect(await store.idempotencyKey('k-2', 'tok-a')).toBeUndefined();
      expect(await store.pruneIdempotencyKeys(T0 + HOUR, true)).toBe(2);
      expect(await store.idempotencyKey('k-3', 'tok-a')).toBeUndefined();
    });
  });
}
