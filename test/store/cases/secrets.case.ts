/** Sealed secrets: the store keeps rows by name and never looks inside them. */
import { describe, expect, it } from 'vitest';
import type { SecretRow } from '../../../src/store/index.js';
import { T0 } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

function aSecret(name: string, over: Partial<SecretRow> = {}): SecretRow {
  return { name, keyId: '0123456789abcdef', iv: 'aXY=', data: 'ZGF0YQ==', tag: 'dGFn', createdAt: T0, updatedAt: T0, ...over };
}

export function secretCases(current: CurrentHarness): void {
  describe('secrets', () => {
    it('are listed by name, replaced by a second put of the same name, and gone once deleted', async () => {
      const { store } = current();
      const b = aSecret('B_TOKEN', { updatedBy: 'token:admin' });
      const a = aSecret('A_TOKEN');
      await store.putSecret(b);
      await store.putSecret(a);
      expect(await store.listSecrets()).toStrictEqual([a, b]);
      const a2 = { ...a, data: 'bmV3', updatedAt: T0 + 5 };
      await store.putSecret(a2);
      expect(await store.getSecret('A_TOKEN')).toStrictEqual(a2);
      expect(await store.getSecret('NOPE')).toBeUndefined();
      expect(await store.deleteSecret('A_TOKEN')).toBe(true);
      expect(await store.deleteSecret('A_TOKEN')).toBe(false);
      expect(await store.listSecrets()).toStrictEqual([b]);
    });

    it('outlive the store that wrote them', async () => {
      const h = current();
      const a = aSecret('KEPT');
      await h.store.putSecret(a);
      await h.store.close();
      const again = await h.reopen();
      expect(await again.listSecrets()).toStrictEqual([a]);
    });
  });
}
