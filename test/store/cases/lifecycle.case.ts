/** All or nothing, migrations that can run again, and data that outlives the process. */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/index.js';
import type { OutboxRow } from '../../../src/store/index.js';
import {
  aLiveEntry,
  aPipelineVersion,
  aRelease,
  aRun,
  aStagePass,
  aTimer,
  anArtifactPass,
  anEvent,
  anOutboxRow,
  batch,
  T0,
} from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

/** One of everything, plus settling an existing outbox row and deleting an existing timer. */
function fullBatch(existing: { outbox: OutboxRow; timerId: string }) {
  const release = aRelease();
  const run = aRun({ releaseId: release.id });
  return batch({
    events: [anEvent({ runid: run.id }), anEvent({ runid: run.id })],
    releases: [release],
    runs: [run],
    stagePasses: [aStagePass({ releaseId: release.id })],
    artifactPasses: [anArtifactPass({ releaseId: release.id })],
    live: [aLiveEntry({ releaseId: release.id })],
    outboxPut: [anOutboxRow({ taskId: `${run.id}.deploy.1` })],
    outboxSettle: [existing.outbox.taskId],
    timersPut: [aTimer()],
    timersDelete: [existing.timerId],
  });
}

async function everything(store: Store) {
  const runs = await store.listRuns({});
  return {
    events: await store.events({}),
    runs,
    releases: await Promise.all(runs.map((r) => store.getRelease(r.releaseId))),
    stagePasses: await Promise.all(runs.map((r) => store.stagePasses(r.releaseId))),
    artifactPasses: await store.artifactPasses('shop', 'frontend', 'registry/frontend:1.4.2'),
    live: await store.live(),
    outbox: await store.outbox(),
    timers: await store.dueTimers(Number.MAX_SAFE_INTEGER, 1000),
    pipelines: await store.latestPipelines(),
  };
}

export function lifecycleCases(current: CurrentHarness): void {
  describe('atomicity', () => {
    it('a batch with a duplicate event id leaves nothing of itself behind', async () => {
      const { store } = current();
      const outbox = anOutboxRow({ taskId: 'run-old.deploy.1' });
      const timer = aTimer();
      const first = anEvent();
      await store.commit(batch({ events: [first], outboxPut: [outbox], timersPut: [timer] }));
      const before = await everything(store);

      const failing = fullBatch({ outbox, timerId: timer.id });
      failing.events.push({ ...anEvent(), id: first.id });
      await expect(store.commit(failing)).rejects.toMatchObject({ code: 'STORE' });
      expect(await everything(store)).toStrictEqual(before);
    });

    it('a batch failing at its last table rolls back the tables written before it', async () => {
      const { store } = current();
      const outbox = anOutboxRow({ taskId: 'run-old.deploy.1' });
      const timer = aTimer();
      await store.commit(batch({ outboxPut: [outbox], timersPut: [timer] }));
      const before = await everything(store);

      const failing = fullBatch({ outbox, timerId: timer.id });
      // A row the schema refuses (NOT NULL), written after events, releases, runs, passes and live.
      failing.outboxPut.push({ ...anOutboxRow(), id: 'broken', taskId: null } as unknown as OutboxRow);
      await expect(store.commit(failing)).rejects.toMatchObject({ code: 'STORE' });
      expect(await everything(store)).toStrictEqual(before);
    });

    it("a run's tasks read back as last committed, one changed at a time, after a failed batch and after reopening", async () => {
      const h = current();
      const v1 = aRun({ id: 'run-t', state: 'running' });
      await h.store.commit(batch({ runs: [v1] }));
      const [deploy, approval] = v1.tasks;
      const v2 = { ...v1, tasks: [deploy!, { ...approval!, state: 'finished' as const, result: 'pass' as const, finishedAt: T0 + 9 }] };
      await h.store.commit(batch({ runs: [v2] }));
      expect(await h.store.getRun('run-t')).toStrictEqual(v2);
      // A batch that fails after its runs: the task it changed is not taken as written.
      const v3 = { ...v2, tasks: [{ ...deploy!, message: 'redeployed' }, v2.tasks[1]!] };
      const failing = batch({ runs: [v3], events: [anEvent({ id: 'twice' }), anEvent({ id: 'twice' })] });
      await expect(h.store.commit(failing)).rejects.toMatchObject({ code: 'STORE' });
      expect(await h.store.getRun('run-t')).toStrictEqual(v2);
      await h.store.commit(batch({ runs: [v3] }));
      expect(await h.store.getRun('run-t')).toStrictEqual(v3);
      // Back to a task body written before: a store that remembered only "changed" would skip it.
      await h.store.commit(batch({ runs: [v2] }));
      expect(await h.store.getRun('run-t')).toStrictEqual(v2);
      const done = { ...v2, state: 'succeeded' as const, finishedAt: T0 + 10 };
      await h.store.commit(batch({ runs: [done] }));
      await h.store.close();
      const reopened = await h.reopen();
      expect(await reopened.getRun('run-t')).toStrictEqual(done);
      expect(await reopened.listRuns({ stage: 'hardening' })).toStrictEqual([done]);
      expect(await reopened.activeRuns()).toStrictEqual([]);
    });

    it('keeps working after a failed batch', async () => {
      const { store } = current();
      const event = anEvent();
      await store.commit(batch({ events: [event] }));
      await expect(store.commit(batch({ events: [event] }))).rejects.toMatchObject({ code: 'STORE' });
      const next = anEvent();
      await store.commit(batch({ events: [next] }));
      expect((await store.events({})).map((e) => e.event.id)).toStrictEqual([event.id, next.id]);
    });
  });

  describe('lifecycle', () => {
    it('migrate() again is harmless', async () => {
      const { store } = current();
      await store.commit(fullBatch({ outbox: anOutboxRow(), timerId: 'none' }));
      const before = await everything(store);
      await store.migrate();
      await store.migrate();
      expect(await everything(store)).toStrictEqual(before);
      await store.commit(batch({ events: [anEvent()] }));
    });

    it('keeps every row across close and reopen', async () => {
      const h = current();
      await h.store.commit(fullBatch({ outbox: anOutboxRow(), timerId: 'none' }));
      await h.store.savePipelineVersion(aPipelineVersion());
      const before = await everything(h.store);
      await h.store.close();

      const reopened = await h.reopen();
      await reopened.migrate();
      expect(await everything(reopened)).toStrictEqual(before);
      const after = anEvent();
      await reopened.commit(batch({ events: [after] }));
      const events = await reopened.events({});
      expect(events.at(-1)?.event).toStrictEqual(after);
      expect(events.at(-1)!.seq).toBeGreaterThan(before.events.at(-1)!.seq);
    });

    it('declares its capabilities as flags', async () => {
      const { store } = current();
      for (const flag of ['concurrentWriters', 'skipLocked', 'listenNotify'] as const) {
        expect(typeof store.capabilities[flag]).toBe('boolean');
      }
    });
  });
}
