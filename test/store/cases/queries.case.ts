/** The read side: filters, orders, cursors and limits. */
import { describe, expect, it } from 'vitest';
import { eventTypes, RunStates, type Run } from '../../../src/core/index.js';
import { aPipelineVersion, aRun, aTimer, anEvent, batch, T0 } from '../fixtures.js';
import type { CurrentHarness } from '../harness.js';

const ids = (runs: readonly Run[]): string[] => runs.map((r) => r.id);

export function queryCases(current: CurrentHarness): void {
  describe('runs', () => {
    it('activeRuns returns only runs not in a terminal state, oldest first', async () => {
      const { store } = current();
      const runs = Object.values(RunStates).map((state, i) => aRun({ id: `run-${state}`, state, queueSeq: 100 - i }));
      await store.commit(batch({ runs }));
      expect(ids(await store.activeRuns())).toStrictEqual(['run-paused', 'run-waiting', 'run-running', 'run-queued']);
    });

    it('maxQueueSeq is 0 when empty and the highest queueSeq otherwise', async () => {
      const { store } = current();
      expect(await store.maxQueueSeq()).toBe(0);
      await store.commit(batch({ runs: [aRun({ queueSeq: 7 }), aRun({ queueSeq: 42 }), aRun({ queueSeq: 9 })] }));
      expect(await store.maxQueueSeq()).toBe(42);
    });

    it('lookups of unknown ids come back empty', async () => {
      const { store } = current();
      expect(await store.getRun('nope')).toBeUndefined();
      expect(await store.getRelease('nope')).toBeUndefined();
      expect(await store.stagePasses('nope')).toStrictEqual([]);
      expect(await store.artifactPasses('shop', 'frontend', 'nope')).toStrictEqual([]);
      expect(await store.live('nope')).toStrictEqual([]);
      expect(await store.getPipelineVersion('shop', 'nope')).toBeUndefined();
    });

    it('listRuns filters by project, stage, release and states, newest first', async () => {
      const { store } = current();
      const a = aRun({ id: 'a', project: 'shop', stage: 'dev', releaseId: 'r1', state: 'succeeded', queueSeq: 1 });
      const b = aRun({ id: 'b', project: 'shop', stage: 'hardening', releaseId: 'r1', state: 'running', queueSeq: 2 });
      const c = aRun({ id: 'c', project: 'blog', stage: 'dev', releaseId: 'r2', state: 'queued', queueSeq: 3 });
      const d = aRun({ id: 'd', project: 'shop', stage: 'dev', releaseId: 'r3', state: 'failed', queueSeq: 4 });
      await store.commit(batch({ runs: [a, b, c, d] }));
      expect(await store.listRuns({})).toStrictEqual([d, c, b, a]);
      expect(ids(await store.listRuns({ project: 'shop' }))).toStrictEqual(['d', 'b', 'a']);
      expect(ids(await store.listRuns({ project: 'shop', stage: 'dev' }))).toStrictEqual(['d', 'a']);
      expect(ids(await store.listRuns({ releaseId: 'r1' }))).toStrictEqual(['b', 'a']);
      expect(ids(await store.listRuns({ states: ['queued', 'running'] }))).toStrictEqual(['c', 'b']);
      expect(ids(await store.listRuns({ states: [] }))).toStrictEqual([]);
      // Without specs: the same runs, the same filters, no spec.
      const bare = ({ spec: _spec, ...rest }: typeof a) => rest;
      expect(await store.listRunsWithoutSpecs({})).toStrictEqual([d, c, b, a].map(bare));
      expect(await store.listRunsWithoutSpecs({ project: 'shop', stage: 'dev', limit: 1 })).toStrictEqual([bare(d)]);
      expect(await store.listRunsWithoutSpecs({ states: [] })).toStrictEqual([]);
    });

    it("listRuns filters by a service of the run's release (a bracket holds several), with the other filters, newest first", async () => {
      const { store } = current();
      const a = aRun({ id: 'a', stage: 'dev', services: ['api'], state: 'succeeded', queueSeq: 1 });
      const b = aRun({ id: 'b', stage: 'dev', services: ['api', 'web'], state: 'failed', queueSeq: 2 });
      const c = aRun({ id: 'c', stage: 'dev', services: ['web'], state: 'succeeded', queueSeq: 3 });
      const d = aRun({ id: 'd', stage: 'prod', services: ['api'], state: 'succeeded', queueSeq: 4 });
      const e = aRun({ id: 'e', project: 'blog', stage: 'dev', services: ['api'], state: 'succeeded', queueSeq: 5 });
      await store.commit(batch({ runs: [a, b, c, d, e] }));
      // A run rewritten later (its state changed) keeps its services.
      await store.commit(batch({ runs: [{ ...a, state: 'failed' }] }));
      expect(ids(await store.listRuns({ service: 'api' }))).toStrictEqual(['e', 'd', 'b', 'a']);
      expect(ids(await store.listRuns({ project: 'shop', stage: 'dev', service: 'api' }))).toStrictEqual(['b', 'a']);
      expect(ids(await store.listRuns({ project: 'shop', stage: 'dev', service: 'web' }))).toStrictEqual(['c', 'b']);
      expect(ids(await store.listRuns({ project: 'shop', stage: 'dev', service: 'api', limit: 1 }))).toStrictEqual(['b']);
      expect(ids(await store.listRuns({ project: 'shop', service: 'api', states: ['succeeded'] }))).toStrictEqual(['d']);
      expect(ids(await store.listRuns({ project: 'shop', service: 'api', beforeSeq: 4 }))).toStrictEqual(['b', 'a']);
      expect(ids(await store.listRuns({ service: 'db' }))).toStrictEqual([]);
      const bare = ({ spec: _spec, ...rest }: Run) => rest;
      expect(await store.listRunsWithoutSpecs({ project: 'shop', stage: 'dev', service: 'api' })).toStrictEqual([bare(b), bare({ ...a, state: 'failed' })]);
      expect(await store.listRuns({ project: 'shop', stage: 'prod', service: 'api' })).toStrictEqual([d]);
    });

    it('listRuns pages newest first with beforeSeq and limit', async () => {
      const { store } = current();
      const runs = Array.from({ length: 7 }, (_, i) => aRun({ id: `r${i + 1}`, queueSeq: i + 1 }));
      await store.commit(batch({ runs }));
      const pages: string[][] = [];
      let cursor: number | undefined;
      for (;;) {
        const page = await store.listRuns({ limit: 3, ...(cursor === undefined ? {} : { beforeSeq: cursor }) });
        if (page.length === 0) break;
        pages.push(ids(page));
        cursor = page.at(-1)?.queueSeq;
      }
      expect(pages).toStrictEqual([['r7', 'r6', 'r5'], ['r4', 'r3', 'r2'], ['r1']]);
    });
  });

  describe('timers', () => {
    it('dueTimers returns timers due at or before the bound, earliest first, up to the limit', async () => {
      const { store } = current();
      const [t300, t100, t200, t400] = [300, 100, 200, 400].map((at) => aTimer({ dueAt: T0 + at }));
      await store.commit(batch({ timersPut: [t300!, t100!, t200!, t400!] }));
      expect(await store.dueTimers(T0 + 300, 10)).toStrictEqual([t100, t200, t300]);
      expect(await store.dueTimers(T0 + 300, 2)).toStrictEqual([t100, t200]);
      expect(await store.dueTimers(T0 + 99, 10)).toStrictEqual([]);
    });

    it('nextTimerDue is the earliest due time, or undefined when there is none', async () => {
      const { store } = current();
      expect(await store.nextTimerDue()).toBeUndefined();
      const [early, late] = [aTimer({ dueAt: T0 + 5 }), aTimer({ dueAt: T0 + 9 })];
      await store.commit(batch({ timersPut: [late, early] }));
      expect(await store.nextTimerDue()).toBe(T0 + 5);
      await store.commit(batch({ timersDelete: [early.id] }));
      expect(await store.nextTimerDue()).toBe(T0 + 9);
    });
  });

  describe('events', () => {
    it('assigns strictly increasing positions across commits, in write order', async () => {
      const { store } = current();
      const written = [anEvent(), anEvent(), anEvent(), anEvent(), anEvent()];
      await store.commit(batch({ events: written.slice(0, 2) }));
      await store.commit(batch({ events: written.slice(2) }));
      const stored = await store.events({});
      expect(stored.map((s) => s.event)).toStrictEqual(written);
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.seq).toBeGreaterThan(stored[i - 1]!.seq);
    });

    it('filters by afterSeq, types, runId and project, with a limit', async () => {
      const { store } = current();
      const queued = anEvent({ type: eventTypes.runQueued, runid: 'run-1' });
      const started = anEvent({ type: eventTypes.runStarted, runid: 'run-1' });
      const other = anEvent({ type: eventTypes.runQueued, runid: 'run-2', project: 'blog' });
      const created = anEvent({ type: eventTypes.releaseCreated, runid: undefined });
      await store.commit(batch({ events: [queued, started, other, created] }));
      const all = await store.events({});
      const idsOf = (xs: { event: { id: string } }[]) => xs.map((x) => x.event.id);

      expect(idsOf(await store.events({ afterSeq: all[1]!.seq }))).toStrictEqual([other.id, created.id]);
      expect(idsOf(await store.events({ types: [eventTypes.runQueued] }))).toStrictEqual([queued.id, other.id]);
      expect(idsOf(await store.events({ runId: 'run-1' }))).toStrictEqual([queued.id, started.id]);
      expect(idsOf(await store.events({ project: 'blog' }))).toStrictEqual([other.id]);
      expect(idsOf(await store.events({ project: 'shop', limit: 2 }))).toStrictEqual([queued.id, started.id]);
      expect(idsOf(await store.events({ afterSeq: all[0]!.seq, types: [eventTypes.runQueued], project: 'blog' }))).toStrictEqual([other.id]);
      expect(await store.events({ types: [] })).toStrictEqual([]);
      expect(await store.events({ afterSeq: all.at(-1)!.seq })).toStrictEqual([]);
      expect(idsOf(await store.events({ limit: 2, newest: true }))).toStrictEqual([other.id, created.id]);
      expect(idsOf(await store.events({ project: 'shop', limit: 1, newest: true }))).toStrictEqual([created.id]);
      expect(idsOf(await store.events({ sinceMs: Date.parse(started.time!) }))).toStrictEqual([started.id, other.id, created.id]);
    });
  });

  describe('pipeline versions', () => {
    it('latestPipelines returns the newest version of each project, or of one', async () => {
      const { store } = current();
      const shop1 = aPipelineVersion({ project: 'shop', createdAt: T0 + 1 });
      const shop2 = aPipelineVersion({ project: 'shop', createdAt: T0 + 2 });
      const blog1 = aPipelineVersion({ project: 'blog', createdAt: T0 + 1 });
      for (const row of [shop1, shop2, blog1]) await store.savePipelineVersion(row);
      expect(await store.latestPipelines()).toStrictEqual([blog1, shop2]);
      expect(await store.latestPipelines('shop')).toStrictEqual([shop2]);
      expect(await store.latestPipelines('none')).toStrictEqual([]);
      expect(await store.getPipelineVersion('shop', shop1.version)).toStrictEqual(shop1);
    });

    it('saving an earlier version again makes it the latest', async () => {
      const { store } = current();
      const v1 = aPipelineVersion({ createdAt: T0 + 1 });
      await store.savePipelineVersion(v1);
      await store.savePipelineVersion(aPipelineVersion({ createdAt: T0 + 2 }));
      const back = { ...v1, createdAt: T0 + 3 };
      await store.savePipelineVersion(back);
      expect(await store.latestPipelines('shop')).toStrictEqual([back]);
    });
  });
}
