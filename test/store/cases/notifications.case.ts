/** The notification queue (src/notify): rows inserted once by id, cursors saved with them, updates, filters, counts. */
import { describe, expect, it } from 'vitest';
import type { NotificationRow } from '../../../src/store/index.js';
import { T0 } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

const row = (id: string, sink: string, over: Partial<NotificationRow> = {}): NotificationRow => ({
  id: `shop/${sink}/${id}`,
  project: 'shop',
  sink,
  state: 'pending',
  nextAt: T0,
  attempts: 0,
  createdAt: T0,
  notice: { id, topic: 'stage.reached', title: `notice ${id}` },
  ...over,
});

export function notificationCases(current: CurrentHarness): void {
  describe('notification queue', () => {
    it('inserts a row once by id and saves the cursor in the same call; reads keep queue order', async () => {
      const { store } = current();
      expect(await store.notifyCursor('events')).toBeUndefined();
      expect(await store.enqueueNotifications([row('e1', 'hook'), row('e1', 'chat'), row('e2', 'hook')], [{ name: 'events', value: 7 }])).toBe(3);
      // Reading the same events again (a crash before the cursor moved) adds nothing.
      expect(await store.enqueueNotifications([row('e2', 'hook', { attempts: 9 }), row('e3', 'hook')], [{ name: 'events', value: 9 }])).toBe(1);
      expect(await store.notifyCursor('events')).toBe(9);
      const hook = await store.notifications({ project: 'shop', sink: 'hook', limit: 10 });
      expect(hook.map((r) => [r.id, r.attempts])).toEqual([['shop/hook/e1', 0], ['shop/hook/e2', 0], ['shop/hook/e3', 0]]);
      expect(hook[0]!.seq).toBeLessThan(hook[1]!.seq!);
      expect((await store.notifications({ sink: 'hook', limit: 1, newest: true }))[0]!.id).toBe('shop/hook/e3');
    });

    it('an update replaces state, next attempt and body; counts group by project, sink and state', async () => {
      const { store } = current();
      await store.enqueueNotifications([row('e1', 'hook'), row('e2', 'hook'), row('e1', 'chat')], []);
      const [first] = await store.notifications({ sink: 'hook', limit: 1 });
      await store.updateNotification({ ...first!, state: 'delivered', attempts: 2, lastError: 'HTTP 500', deliveredAt: T0 + 5, nextAt: T0 + 5 });
      await store.updateNotification({ ...row('e1', 'chat'), state: 'dead', attempts: 1, lastError: 'HTTP 404' });
      expect(await store.notifications({ states: ['pending'], limit: 10 })).toHaveLength(1);
      expect((await store.notifications({ sink: 'hook', states: ['delivered'], limit: 10 }))[0]).toMatchObject({ id: 'shop/hook/e1', attempts: 2, lastError: 'HTTP 500', deliveredAt: T0 + 5 });
      const counts = (await store.notificationCounts()).sort((a, b) => `${a.sink}${a.state}`.localeCompare(`${b.sink}${b.state}`));
      expect(counts).toEqual([
        { project: 'shop', sink: 'chat', state: 'dead', count: 1 },
        { project: 'shop', sink: 'hook', state: 'delivered', count: 1 },
        { project: 'shop', sink: 'hook', state: 'pending', count: 1 },
      ]);
      // Settled rows go once old enough (by when they settled); pending rows never.
      expect(await store.pruneNotifications(T0 + 1)).toBe(1);
      expect(await store.pruneNotifications(T0 + 10)).toBe(1);
      expect((await store.notifications({ limit: 10 })).map((r) => r.state)).toEqual(['pending']);
    });
  });
}
