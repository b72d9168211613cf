/** Keptn's per-service answers of a task: kept by (task, service), replaced, dropped per task, and kept across a reopen. */
import { describe, expect, it } from 'vitest';
import type { KeptnPartialRow } from '../../../src/store/index.js';
import { T0 } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

function aPartial(taskId: string, service: string, over: Partial<KeptnPartialRow> = {}): KeptnPartialRow {
  return { taskId, service, result: 'pass', data: { status: 'succeeded', deployment: { deploymentURIsLocal: [`http://${service}:80`] } }, at: T0, ...over };
}

export function keptnCases(current: CurrentHarness): void {
  describe('Keptn partial answers', () => {
    it('are listed per task by service, replaced by a second answer of the same service, and dropped per task', async () => {
      const { store } = current();
      const orders = aPartial('run-1.test.1', 'orders');
      const carts = aPartial('run-1.test.1', 'carts', { result: 'warning' });
      const other = aPartial('run-2.test.1', 'carts');
      await store.putKeptnPartial(orders);
      await store.putKeptnPartial(carts);
      await store.putKeptnPartial(other);
      expect(await store.keptnPartials('run-1.test.1')).toStrictEqual([carts, orders]);
      const carts2 = { ...carts, result: 'fail' as const, at: T0 + 5 };
      await store.putKeptnPartial(carts2);
      expect(await store.keptnPartials('run-1.test.1')).toStrictEqual([carts2, orders]);
      await store.deleteKeptnPartials('run-1.test.1');
      expect(await store.keptnPartials('run-1.test.1')).toStrictEqual([]);
      expect(await store.keptnPartials('run-2.test.1')).toStrictEqual([other]);
    });

    it('outlive the store that wrote them', async () => {
      const h = current();
      const p = aPartial('run-1.deployment.1', 'carts');
      await h.store.putKeptnPartial(p);
      await h.store.close();
      const again = await h.reopen();
      expect(await again.keptnPartials('run-1.deployment.1')).toStrictEqual([p]);
    });
  });
}
