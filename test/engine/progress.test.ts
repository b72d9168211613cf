import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Executor, PastRun } from '../../src/engine/index.js';
import { Engine, FakeClock } from '../../src/engine/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let store: Store;
let engine: Engine | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-progress-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Counts to three across suspensions, keeping its count only in `progress`. */
function counter(seen: PastRun[][]): Executor {
  const step = (count: number, at: number) =>
    count >= 3
      ? { result: 'pass' as const, message: `counted to ${count}` }
      : { suspend: { until: at + 1000, message: `count ${count}`, progress: { count } } };
  return {
    kind: 'count',
    async execute(ctx) {
      seen.push((await ctx.runs?.({ project: ctx.run.project, stage: 'dev' })) ?? []);
      return step(1, ctx.now());
    },
    async resume(ctx) {
      const count = Number(ctx.task.progress?.count ?? 0) + 1;
      return step(count, ctx.now());
    },
  };
}

function finished(e: Engine): Promise<Run> {
  return new Promise((resolve) => e.emitter.once('run:finished', resolve));
}

it('a suspended task gets back the progress it kept, from the store after a restart too', async () => {
  const clock = new FakeClock();
  const seen: PastRun[][] = [];
  const spec = pipeline('p', [{ name: 'dev', tasks: [{ name: 'c', kind: 'count' }] }]);
  engine = new Engine({ store, workDir: dir, executors: [counter(seen)], clock });
  await engine.setPipeline(spec, { text: 'x', origin: 'test', dir });
  await engine.start();
  await engine.apply({ type: 'trigger', id: 'r1', project: 'p', artifacts: { a: '1' } });
  const waiting = () => engine!.view.runs.values().next().value?.tasks[0];
  await expect.poll(() => waiting()?.data).toEqual({ count: 1 });

  // A restart: the count lives only in the store.
  await engine.stop();
  engine = new Engine({ store, workDir: dir, executors: [counter(seen)], clock });
  await engine.setPipeline(spec, { text: 'x', origin: 'test', dir });
  await engine.start();
  const done = finished(engine);
  clock.advance(1000);
  await expect.poll(() => waiting()?.data).toEqual({ count: 2 });
  // The next timer is armed once that commit lands (the view may show it first): move the clock after.
  await engine.settled();
  clock.advance(1000);
  const run = await done;
  expect(run.tasks[0]).toMatchObject({ result: 'pass', message: 'counted to 3' });
  const events = await store.events({ types: ['sh.slipway.task.c.waiting'] });
  expect(events.map((e) => (e.event.data as { output?: unknown }).output)).toEqual([{ count: 1 }, { count: 2 }]);
  expect(seen[0]!.map((r) => r.state)).toEqual(['running']);
});

it('checks read earlier runs of a stage, newest first, with their tasks’ results and outputs', async () => {
  const seen: PastRun[][] = [];
  const clock = new FakeClock();
  engine = new Engine({ store, workDir: dir, executors: [counter(seen)], clock });
  await engine.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'c', kind: 'count' }] }]), { text: 'x', origin: 'test', dir });
  await engine.start();
  for (const v of ['1', '2']) {
    const done = finished(engine);
    await engine.apply({ type: 'trigger', id: `t${v}`, project: 'p', artifacts: { a: v }, by: `alice${v}` });
    await expect.poll(() => [...engine!.view.runs.values()].some((r) => r.tasks[0]?.data !== undefined)).toBe(true);
    await engine.settled();
    clock.advance(1000);
    await expect.poll(() => [...engine!.view.runs.values()].some((r) => r.tasks[0]?.data?.count === 2)).toBe(true);
    await engine.settled();
    clock.advance(1000);
    await done;
  }
  expect(seen).toHaveLength(2);
  const second = seen[1]!;
  expect(second.map((r) => r.state)).toEqual(['running', 'succeeded']);
  expect(second[1]).toMatchObject({ triggeredBy: 'alice1', result: 'pass', tasks: [{ name: 'c', kind: 'count', result: 'pass', message: 'counted to 3' }] });
});
