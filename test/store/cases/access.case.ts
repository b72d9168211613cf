/** Tokens, push subscriptions and the newest event position: what the server keeps beside the log. */
import { describe, expect, it } from 'vitest';
import type { SubscriptionRow, TokenRow } from '../../../src/store/index.js';
import { anEvent, batch, T0 } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

let n = 0;
function aToken(over: Partial<TokenRow> = {}): TokenRow {
  n++;
  return { id: `tok-${n}`, name: `ci-${n}`, hash: `hash-${n}`, scopes: ['read', 'trigger'], createdAt: T0 + n, ...over };
}
function aSubscription(over: Partial<SubscriptionRow> = {}): SubscriptionRow {
  n++;
  return { id: `sub-${n}`, kind: 'pytest', url: 'http://127.0.0.1:9/hook', secret: `s-${n}`, createdAt: T0 + n, ...over };
}

export function accessCases(current: CurrentHarness): void {
  describe('tokens', () => {
    it('a saved token is found by its hash, listed oldest first, and gone once deleted', async () => {
      const { store } = current();
      const a = aToken({ createdBy: 'token:admin' });
      const b = aToken({ scopes: ['approve:production'] });
      expect(await store.addToken(b)).toBe(true);
      expect(await store.addToken(a)).toBe(true);
      expect(await store.tokenByHash(a.hash)).toStrictEqual(a);
      expect(await store.tokenByHash('nope')).toBeUndefined();
      expect(await store.listTokens()).toStrictEqual([a, b]);
      expect(await store.deleteToken(a.id)).toBe(true);
      expect(await store.deleteToken(a.id)).toBe(false);
      expect(await store.tokenByHash(a.hash)).toBeUndefined();
      expect(await store.listTokens()).toStrictEqual([b]);
    });

    it('a taken id, name or hash is refused and changes nothing', async () => {
      const { store } = current();
      const a = aToken();
      await store.addToken(a);
      expect(await store.addToken(aToken({ name: a.name }))).toBe(false);
      expect(await store.addToken(aToken({ hash: a.hash }))).toBe(false);
      expect(await store.addToken(aToken({ id: a.id }))).toBe(false);
      expect(await store.listTokens()).toStrictEqual([a]);
    });

    it('tokens outlive the store that wrote them', async () => {
      const h = current();
      const a = aToken();
      await h.store.addToken(a);
      await h.store.close();
      const again = await h.reopen();
      expect(await again.tokenByHash(a.hash)).toStrictEqual(a);
    });
  });

  describe('subscriptions', () => {
    it('are listed oldest first, refused on a taken id, and deleted by id', async () => {
      const { store } = current();
      const a = aSubscription();
      const b = aSubscription({ kind: 'deploy-k8s' });
      expect(await store.addSubscription(a)).toBe(true);
      expect(await store.addSubscription(b)).toBe(true);
      expect(await store.addSubscription(aSubscription({ id: a.id }))).toBe(false);
      expect(await store.listSubscriptions()).toStrictEqual([a, b]);
      expect(await store.deleteSubscription(a.id)).toBe(true);
      expect(await store.deleteSubscription(a.id)).toBe(false);
      expect(await store.listSubscriptions()).toStrictEqual([b]);
    });
  });

  describe('event log position', () => {
    it('lastEventSeq is 0 for an empty log and the seq of the newest event otherwise', async () => {
      const { store } = current();
      expect(await store.lastEventSeq()).toBe(0);
      await store.commit(batch({ events: [anEvent(), anEvent(), anEvent()] }));
      const all = await store.events({});
      expect(await store.lastEventSeq()).toBe(all.at(-1)!.seq);
    });
  });
}
