/** commit(): every entity round trips, upserts replace, deletes apply, and a batch is all or nothing. */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../src/core/index.js';
import type { Store } from '../../../src/store/index.js';
import {
  aLiveEntry,
  aRelease,
  aResumeRow,
  aRun,
  aStagePass,
  aTimer,
  anArtifactPass,
  anEvent,
  anOutboxRow,
  batch,
  emptyBatch,
  T0,
} from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

/** Everything a store holds, read back through the port. */
async function snapshot(store: Store) {
  return {
    events: (await store.events({})).map((e) => e.event),
    runs: await store.listRuns({}),
    live: await store.live(),
    outbox: await store.outbox(),
    timers: await store.dueTimers(Number.MAX_SAFE_INTEGER, 1_000_000),
    maxQueueSeq: await store.maxQueueSeq(),
  };
}

export function commitCases(current: CurrentHarness): void {
  describe('commit', () => {
    it('round trips every kind of row exactly', async () => {
      const { store } = current();
      const release = aRelease();
      const run = aRun({ releaseId: release.id });
      const event = anEvent({ runid: run.id, subject: 'deploy' });
      const stagePass = aStagePass({ releaseId: release.id, runId: run.id });
      const artifactPass = anArtifactPass({ releaseId: release.id });
      const live = aLiveEntry({ releaseId: release.id, runId: run.id });
      const outbox = aResumeRow('run-x.approval.1', 1);
      const timer = aTimer();
      await store.commit(batch({ events: [event], releases: [release], runs: [run], stagePasses: [stagePass], artifactPasses: [artifactPass], live: [live], outboxPut: [outbox], timersPut: [timer] }));

      expect((await store.events({})).map((e) => e.event)).toStrictEqual([event]);
      expect(await store.getRelease(release.id)).toStrictEqual(release);
      expect(await store.getRun(run.id)).toStrictEqual(run);
      expect(await store.stagePasses(release.id)).toStrictEqual([stagePass]);
      expect(await store.artifactPasses(artifactPass.project, artifactPass.service, artifactPass.artifact)).toStrictEqual([artifactPass]);
      expect(await store.live()).toStrictEqual([live]);
      expect(await store.outbox()).toStrictEqual([outbox]);
      expect(await store.dueTimers(timer.dueAt, 10)).toStrictEqual([timer]);
    });

    it('omits optional fields that were undefined', async () => {
      const { store } = current();
      const run: Run = { ...aRun({ state: 'queued' }), result: undefined, startedAt: undefined, triggeredBy: undefined };
      await store.commit(batch({ runs: [run] }));
      const stored = await store.getRun(run.id);
      expect(stored).toEqual(run);
      expect(Object.keys(stored ?? {})).not.toContain('result');
      expect(Object.keys(stored ?? {})).not.toContain('startedAt');
    });

    it('treats an empty batch as a no-op', async () => {
      const { store } = current();
      await store.commit(emptyBatch());
      expect(await snapshot(store)).toStrictEqual({ events: [], runs: [], live: [], outbox: [], timers: [], maxQueueSeq: 0 });
    });

    it('replaces runs, passes, live entries, outbox rows and timers by key', async () => {
      const { store } = current();
      const run = aRun({ state: 'running' });
      const stagePass = aStagePass({ result: 'fail' });
      const artifactPass = anArtifactPass({ result: 'fail' });
      const live = aLiveEntry({ state: 'running' });
      const outbox = anOutboxRow();
      const timer = aTimer({ dueAt: T0 + 10 });
      await store.commit(batch({ runs: [run], stagePasses: [stagePass], artifactPasses: [artifactPass], live: [live], outboxPut: [outbox], timersPut: [timer] }));

      const run2 = { ...run, state: 'succeeded' as const, finishedAt: T0 + 99 };
      const stagePass2 = { ...stagePass, result: 'pass' as const, at: T0 + 5 };
      const artifactPass2 = { ...artifactPass, result: 'warning' as const, releaseId: 'rel-y' };
      const live2 = { ...live, state: 'succeeded' as const, releaseId: 'rel-y' };
      const outbox2 = { ...outbox, createdAt: T0 + 7, payload: { again: true } };
      const timer2 = { ...timer, dueAt: T0 + 20 };
      await store.commit(batch({ runs: [run2], stagePasses: [stagePass2], artifactPasses: [artifactPass2], live: [live2], outboxPut: [outbox2], timersPut: [timer2] }));

      expect(await store.listRuns({})).toStrictEqual([run2]);
      expect(await store.activeRuns()).toStrictEqual([]);
      expect(await store.stagePasses(stagePass.releaseId)).toStrictEqual([stagePass2]);
      expect(await store.artifactPasses(artifactPass.project, artifactPass.service, artifactPass.artifact)).toStrictEqual([artifactPass2]);
      expect(await store.live()).toStrictEqual([live2]);
      expect(await store.outbox()).toStrictEqual([outbox2]);
      expect(await store.dueTimers(T0 + 10, 10)).toStrictEqual([]);
      expect(await store.dueTimers(T0 + 20, 10)).toStrictEqual([timer2]);
    });

    it('keeps the last of several writes to one key within a batch', async () => {
      const { store } = current();
      const run = aRun({ state: 'queued' });
      const last = { ...run, state: 'running' as const };
      await store.commit(batch({ runs: [run, last], live: [aLiveEntry({ state: 'queued' }), aLiveEntry({ state: 'running' })] }));
      expect(await store.listRuns({})).toStrictEqual([last]);
      expect((await store.live()).map((l) => l.state)).toStrictEqual(['running']);
    });

    it('writes a release once: the same id again changes nothing', async () => {
      const { store } = current();
      const release = aRelease();
      await store.commit(batch({ releases: [release] }));
      await store.commit(batch({ releases: [{ ...release, createdAt: T0 + 1 }] }));
      expect(await store.getRelease(release.id)).toStrictEqual(release);
    });

    it('outboxSettle deletes every row of the settled tasks and nothing else', async () => {
      const { store } = current();
      const t1 = 'run-a.approval.1';
      const t2 = 'run-b.deploy.1';
      const keep = anOutboxRow({ taskId: t2 });
      await store.commit(batch({ outboxPut: [anOutboxRow({ taskId: t1 }), aResumeRow(t1, 1), aResumeRow(t1, 2), keep] }));
      await store.commit(batch({ outboxSettle: [t1, 'never-dispatched'] }));
      expect(await store.outbox()).toStrictEqual([keep]);
    });

    it('outboxSettle applies before outboxPut: a task settled and resumed in one batch keeps its new row', async () => {
      const { store } = current();
      const task = 'run-a.approval.1';
      await store.commit(batch({ outboxPut: [anOutboxRow({ taskId: task })] }));
      const resume = aResumeRow(task, 1);
      await store.commit(batch({ outboxSettle: [task], outboxPut: [resume] }));
      expect(await store.outbox()).toStrictEqual([resume]);
    });

    it('timersDelete removes the named timers only', async () => {
      const { store } = current();
      const [a, b] = [aTimer({ dueAt: T0 + 1 }), aTimer({ dueAt: T0 + 2 })];
      await store.commit(batch({ timersPut: [a, b] }));
      await store.commit(batch({ timersDelete: [a.id, 'no-such-timer'] }));
      expect(await store.dueTimers(T0 + 10, 10)).toStrictEqual([b]);
    });

    it('carries thousands of rows in one batch', async () => {
      const { store } = current();
      const events = Array.from({ length: 6000 }, () => anEvent());
      const runs = Array.from({ length: 700 }, () => aRun());
      const timers = Array.from({ length: 700 }, (_, i) => aTimer({ dueAt: T0 + i }));
      await store.commit(batch({ events, runs, timersPut: timers, outboxPut: runs.map((r) => anOutboxRow({ taskId: `${r.id}.deploy.1` })) }));
      expect((await store.events({})).map((e) => e.event.id)).toStrictEqual(events.map((e) => e.id));
      expect(await store.listRuns({})).toHaveLength(700);
      expect(await store.outbox()).toHaveLength(700);
      expect(await store.dueTimers(T0 + 10_000, 10_000)).toStrictEqual(timers);
    });
  });
}
