/**
 * Reads the other cases do not reach, where dialects differ most: an input's events found by
 * an id range (byte order matters: '.' and '/' bound it), the audit chain sealed in order with
 * its text search, the insights' reads of JSON members inside bodies, and webhook deliveries
 * with the git watcher's refs.
 */
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, type DeliveryRow } from '../../../src/store/index.js';
import { T0, aRelease, aRun, anEvent, batch } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

export function moreReadCases(current: CurrentHarness): void {
  describe('more reads', () => {
    it("eventsOfInput finds exactly the input's events, whatever ids sort beside them", async () => {
      const { store } = current();
      const ids = ['in-1.0', 'in-1.1', 'in-1.10', 'in-1-x.0', 'in-10.0', 'in-1/0', 'in-1.', 'In-1.0', 'in-1.2'];
      await store.commit(batch({ events: ids.map((id) => anEvent({ id })) }));
      const found = (await store.eventsOfInput('in-1')).map((e) => e.id);
      expect(found).toEqual(['in-1.0', 'in-1.1', 'in-1.10', 'in-1.2']);
    });

    it('appliedInputs answers exactly the inputs whose first event is in the log, across statement chunks', async () => {
      const { store } = current();
      await store.commit(batch({ events: ['in-1.0', 'in-1.1', 'in-1.x.0', 'in-2.1', 'In-3.0', 'in-3/0'].map((id) => anEvent({ id })) }));
      const many = Array.from({ length: 1500 }, (_, i) => `bulk-${i}`);
      await store.commit(batch({ events: many.filter((_, i) => i % 7 === 0).map((id) => anEvent({ id: `${id}.0` })) }));
      const asked = ['in-1', 'in-1.x', 'in-2', 'in-3', 'In-3', 'in-1', 'none'];
      expect([...(await store.appliedInputs(asked))].sort()).toEqual(['In-3', 'in-1', 'in-1.x']);
      expect([...(await store.appliedInputs(many))].sort()).toEqual(many.filter((_, i) => i % 7 === 0).sort());
      expect((await store.appliedInputs([])).size).toBe(0);
    });

    it('lists text keys in byte order, capitals first, as SQLite compares them', async () => {
      const { store } = current();
      const names = ['beta', 'Alpha', 'alpha', '_under', 'Zulu', 'a.b', 'a-b', 'ab'];
      for (const [i, name] of names.entries()) await store.putSecret({ name, keyId: 'k1', iv: 'aXY=', data: `v${i}`, tag: 'dGFn', createdAt: T0, updatedAt: T0 + i });
      expect((await store.listSecrets()).map((s) => s.name)).toEqual([...names].sort());
    });

    it('seals audit rows into one chain in order, across calls and with a batch, and finds them by text', async () => {
      const { store } = current();
      const first = await store.appendAudit([
        { at: T0, actor: 'token:ada', action: 'release.trigger', project: 'shop', target: 'rel-1', details: { artifacts: { web: 'web:1' } } },
        { at: T0 + 1, actor: 'token:bob', action: 'run.abort', project: 'shop', target: 'run-1' },
      ]);
      await store.commit({ ...batch({ events: [anEvent()] }), audit: [{ at: T0 + 2, actor: 'cli:ada', action: 'token.create', target: '50%_off' }] });
      const rows = await store.auditRows({});
      expect(rows.map((r) => r.row.seq)).toEqual([1, 2, 3]);
      expect(rows[0]!.row.prevHash).toBe(GENESIS_HASH);
      expect(rows.slice(1).map((r) => r.row.prevHash)).toEqual(rows.slice(0, 2).map((r) => r.row.hash));
      expect(first.map((r) => r.hash)).toEqual(rows.slice(0, 2).map((r) => r.row.hash));
      expect(rows[0]!.row.details).toEqual({ artifacts: { web: 'web:1' } });
      // Case-insensitive substring; % and _ are literal characters, not patterns.
      expect((await store.auditRows({ text: 'WEB:1' })).map((r) => r.row.seq)).toEqual([1]);
      expect((await store.auditRows({ text: '50%_' })).map((r) => r.row.seq)).toEqual([3]);
      expect((await store.auditRows({ text: '%' })).map((r) => r.row.seq)).toEqual([3]);
      expect((await store.auditRows({ actor: 'token:bob', order: 'desc' })).map((r) => r.row.action)).toEqual(['run.abort']);
    });

    it('deployments and arrivals read run causes and release commit times from inside the bodies', async () => {
      const { store } = current();
      const rel = aRelease({ id: 'rel-a', project: 'shop', createdAt: T0, provenance: { source: 'api', commitTime: T0 - 5000, firstCommitTime: T0 - 9000 } });
      const ok = aRun({ id: 'run-ok', stage: 'production', releaseId: 'rel-a', state: 'succeeded', finishedAt: T0 + 100 });
      const back = aRun({ id: 'run-back', stage: 'production', releaseId: 'rel-a', state: 'succeeded', finishedAt: T0 + 200, cause: 'rollback' });
      const carried = aRun({ id: 'run-carried', stage: 'production', releaseId: 'rel-a', state: 'failed', finishedAt: T0 + 300, carriedResult: 'fail' });
      await store.commit(batch({ releases: [rel], runs: [ok, back, carried] }));
      const rows = await store.deployments({ project: 'shop', stage: 'production', fromMs: T0, toMs: T0 + 1000 });
      expect(rows.map((r) => [r.runId, r.state, r.rollback, r.carriedFail, r.finishedAt])).toEqual([
        ['run-ok', 'succeeded', false, false, T0 + 100],
        ['run-back', 'succeeded', true, false, T0 + 200],
        ['run-carried', 'failed', false, true, T0 + 300],
      ]);
      expect(typeof rows[0]!.queueSeq).toBe('number');
      expect(await store.arrivals('shop', T0, T0 + 1000)).toEqual([
        { stage: 'production', releaseId: 'rel-a', at: T0 + 100, commitTime: T0 - 5000, firstCommitTime: T0 - 9000 },
      ]);
    });

    it('keeps a webhook delivery once by (project, source, id), and the watcher refs per project', async () => {
      const { store } = current();
      const d: DeliveryRow = { project: 'shop', source: 'github', id: 'd-1', event: 'push', receivedAt: T0, updatedAt: T0, outcome: 'received', status: 202 };
      expect(await store.addDelivery(d)).toBe(true);
      expect(await store.addDelivery(d)).toBe(false);
      await store.putDelivery({ ...d, outcome: 'released', updatedAt: T0 + 1 });
      expect(await store.getDelivery('shop', 'github', 'd-1')).toMatchObject({ outcome: 'released' });
      expect(await store.listDeliveries({ project: 'shop', limit: 10 })).toHaveLength(1);
      await store.primeWatchRepo({ project: 'shop', url: 'file:///repo', primedAt: T0 }, { 'refs/heads/main': 'c1', 'refs/tags/v1': 'c0' });
      await store.putWatchRefs('shop', { 'refs/heads/main': 'c2', 'refs/tags/v1': null, 'refs/tags/v2': 'c3' });
      expect(await store.watchRefs('shop')).toEqual({ 'refs/heads/main': 'c2', 'refs/tags/v2': 'c3' });
      expect(await store.getWatchRepo('shop')).toEqual({ project: 'shop', url: 'file:///repo', primedAt: T0 });
    });
  });
}
