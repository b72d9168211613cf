/**
 * A gate inside the real engine, with a real SQLite store and a clock the test moves: every
 * sample is a committed `.waiting` event carrying each signal's value; a restart continues from
 * what the store kept; a stage signal reads the real runs of another stage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Executor } from '../../src/engine/index.js';
import { Engine, FakeClock } from '../../src/engine/index.js';
import { createGateExecutor, type GateProgress } from '../../src/executors/gate/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';
import { startHealthServer, type HealthServer } from './gate-server.js';

const S = 1000;
const MIN = 60 * S;
let dir: string;
let store: Store;
let engine: Engine | undefined;
let server: HealthServer;

beforeAll(async () => {
  server = await startHealthServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-gate-engine-'));
  store = await openSqliteStore({ file: join(dir, 'slipway.db') });
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Passes or fails by its release's artifact: a stage with failed runs to look back at. */
const verdict: Executor = {
  kind: 'verdict',
  async execute(ctx) {
    return ctx.run.artifacts.app === 'bad' ? { result: 'fail', message: 'bad build' } : { result: 'pass' };
  },
};

async function open(spec: ReturnType<typeof pipeline>, clock: FakeClock): Promise<Engine> {
  const e = new Engine({ store, workDir: dir, executors: [createGateExecutor({ signalTimeoutMs: 5000 }), verdict], clock });
  await e.setPipeline(spec, { text: 'x', origin: 'test', dir });
  await e.start();
  return e;
}

function finished(e: Engine, stage: string): Promise<Run> {
  return new Promise((resolve) => {
    const on = (r: Run) => {
      if (r.stage !== stage) return;
      e.emitter.off('run:finished', on);
      resolve(r);
    };
    e.emitter.on('run:finished', on);
  });
}

/** The gate task's progress as the engine holds it now. */
function progress(e: Engine, stage: string, task: string): GateProgress | undefined {
  const run = [...e.view.runs.values()].find((r) => r.stage === stage);
  return run?.tasks.find((t) => t.name === task)?.data as GateProgress | undefined;
}

it('each sample is a .waiting event with every value; a restart continues the count; a failing sample resets steadiness', async () => {
  const clock = new FakeClock();
  const T0 = clock.now();
  server.set({ status: 200, body: { status: 'red' } });
  const spec = pipeline('p', [
    {
      name: 'dev',
      tasks: [{ name: 'health', kind: 'gate', properties: { interval: '10s', steady: '20s', timeout: '5m', signals: [{ name: 'api', http: { url: server.url, condition: '$.status == "green"' } }] } }],
    },
  ]);
  engine = await open(spec, clock);
  await engine.apply({ type: 'trigger', id: 't1', project: 'p', artifacts: { app: '1' } });
  await expect.poll(() => progress(engine!, 'dev', 'health')?.samples).toBe(1);
  await engine.settled();

  // A restart: the gate's samples live only in the store.
  await engine.stop();
  engine = await open(spec, clock);
  const done = finished(engine, 'dev');
  server.set({ status: 200, body: { status: 'green' } });
  const step = async (samples: number) => {
    clock.advance(10 * S);
    await expect.poll(() => progress(engine!, 'dev', 'health')?.samples, { timeout: 10_000 }).toBe(samples);
    // The next sample's timer is armed once the sample's commit lands; move the clock only after that.
    await engine!.settled();
  };
  await step(2); // t=10s: passing from here
  await step(3); // t=20s: steady for 10s
  server.set({ status: 200, body: { status: 'red' } });
  await step(4); // t=30s: fails, steadiness is gone
  server.set({ status: 200, body: { status: 'green' } });
  await step(5); // t=40s: passing again, from here
  await step(6); // t=50s
  clock.advance(10 * S); // t=60s: held 20s
  const run = await done;
  expect(run.state).toBe('succeeded');
  expect(run.tasks[0]).toMatchObject({ result: 'pass', message: 'gate health passed: 1 of 1 signal held for 20s (sample 7)' });

  const waiting = await store.events({ types: ['sh.slipway.task.health.waiting'] });
  const samples = waiting.map((e) => (e.event.data as { output: GateProgress }).output);
  expect(samples.map((p) => [p.samples, p.last?.[0]?.value, p.passingSince === undefined ? '-' : (p.passingSince - T0) / S])).toEqual([
    [1, 'red', '-'],
    [2, 'green', 10],
    [3, 'green', 10],
    [4, 'red', '-'],
    [5, 'green', 40],
    [6, 'green', 40],
  ]);
  const messages = waiting.map((e) => (e.event.data as { message?: string }).message);
  expect(messages[2]).toBe('gate health: 1 of 1 signal passing; steady for 10s of 20s; sample 3, next at 2026-01-01T00:00:30.000Z');
  expect(messages[3]).toBe('gate health: 0 of 1 signal passing; failing: api: $.status: "red" is not == "green"; sample 4, next at 2026-01-01T00:00:40.000Z');
});

it('a stage signal holds the gate while a run failed in that stage within the window, from the real store', async () => {
  const clock = new FakeClock();
  const spec = pipeline('p', [
    { name: 'dev', tasks: [{ name: 'build', kind: 'verdict' }] },
    {
      name: 'production',
      after: [],
      requireUpstream: false,
      tasks: [{ name: 'entry-gate', kind: 'gate', properties: { interval: '20m', timeout: '3h', signals: [{ name: 'dev-quiet', stage: { name: 'dev', noFailedRunsFor: '1h' } }] } }],
    },
  ]);
  engine = await open(spec, clock);
  const devDone = finished(engine, 'dev');
  await engine.apply({ type: 'trigger', id: 't-bad', project: 'p', artifacts: { app: 'bad' }, stage: 'dev' });
  expect((await devDone).state).toBe('failed');
  const failedAt = clock.now();

  const prodDone = finished(engine, 'production');
  await engine.apply({ type: 'trigger', id: 't-prod', project: 'p', artifacts: { app: 'good' }, stage: 'production' });
  await expect.poll(() => progress(engine!, 'production', 'entry-gate')?.samples).toBe(1);
  await engine.settled();
  const first = progress(engine, 'production', 'entry-gate')!.last![0]!;
  expect(first).toMatchObject({ name: 'dev-quiet', type: 'stage', pass: false, value: 1 });
  expect(first.detail).toMatch(/^1 run failed in dev in the last 1h; the latest at .* \(run-/);
  // Samples at 20m, 40m and 60m still see it: a failure exactly an hour ago is inside the last hour.
  for (let n = 2; n <= 4; n++) {
    clock.advance(20 * MIN);
    await expect.poll(() => progress(engine!, 'production', 'entry-gate')?.samples).toBe(n);
    expect(progress(engine, 'production', 'entry-gate')!.last![0]!.pass).toBe(false);
    await engine.settled();
  }
  clock.advance(20 * MIN);
  const run = await prodDone;
  expect(clock.now() - failedAt).toBe(80 * MIN);
  expect(run.state).toBe('succeeded');
  expect(run.tasks[0]).toMatchObject({ result: 'pass', message: 'gate entry-gate passed: 1 of 1 signal passing (sample 5)' });
});
