/**
 * The gate's sampling rule with a clock that moves only when told: delay, interval, every signal
 * passing in the same sample, steadiness that a failing sample resets, the timeout, and what each
 * sample keeps and says. Signals are HTTP checks against real servers on 127.0.0.1 whose answers
 * the tests flip between samples.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, Finished, Suspend, TaskOutcome } from '../../src/engine/executor.js';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { createGateExecutor, type GateProgress } from '../../src/executors/gate/index.js';
import { mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';
import { deadUrl, startHealthServer, type HealthServer } from './gate-server.js';

const T0 = Date.UTC(2026, 0, 12, 12, 0, 0);
const S = 1000;
const gate: Executor = createGateExecutor({ signalTimeoutMs: 2000 });

let a: HealthServer;
let b: HealthServer;
let ctx: MockExecutorContext;
const green = { status: 200, body: { status: 'green' } };
const red = { status: 200, body: { status: 'red' } };

beforeAll(async () => {
  a = await startHealthServer(green);
  b = await startHealthServer(green);
});
afterAll(async () => {
  await a.close();
  await b.close();
});
afterEach(() => {
  ctx?.dispose();
  a.set(green);
  b.set(green);
});

function props(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interval: '10s',
    timeout: '5m',
    signals: [
      { name: 'api', http: { url: a.url, condition: '$.status == "green"' } },
      { name: 'db', http: { url: b.url, condition: '$.status == "green"' } },
    ],
    ...extra,
  };
}

function start(properties: Record<string, unknown>): MockExecutorContext {
  ctx = mockExecutorContext({ now: T0, task: { name: 'health', kind: 'gate', triggeredAt: T0, properties } });
  return ctx;
}

function suspended(o: TaskOutcome): Suspend['suspend'] {
  if (!('suspend' in o)) throw new Error(`expected the gate to wait, it finished: ${JSON.stringify(o)}`);
  return o.suspend;
}

function finished(o: TaskOutcome): Finished {
  if ('suspend' in o) throw new Error(`expected the gate to finish, it waits: ${o.suspend.message ?? ''}`);
  return o;
}

/** Hands the last suspension's progress back, moves the clock to its due time and fires the timer, as the engine does. */
async function next(c: MockExecutorContext, previous: TaskOutcome): Promise<TaskOutcome> {
  const s = suspended(previous);
  (c.task as { progress?: Readonly<Record<string, unknown>> }).progress = s.progress;
  if (s.until !== undefined) c.setNow(s.until);
  return gate.resume!(c, { signal: 'timer' });
}

const progressOf = (o: TaskOutcome): GateProgress => ('suspend' in o ? o.suspend.progress : o.output) as unknown as GateProgress;

describe('gate sampling', () => {
  it('waits out its delay before the first sample, reading nothing yet', async () => {
    const c = start(props({ delay: '2m' }));
    const first = await gate.execute(c);
    expect(suspended(first)).toEqual({
      until: T0 + 120 * S,
      waitingFor: 'stop|skip',
      message: 'gate health: first of its samples at 2026-01-12T12:02:00.000Z (after a delay of 2m)',
      progress: { samples: 0, nextAt: T0 + 120 * S },
    });
    expect(a.requests).toHaveLength(0);
    const sampled = await next(c, first);
    expect(finished(sampled)).toMatchObject({ result: 'pass', message: 'gate health passed: 2 of 2 signals passing (sample 1)' });
    expect(a.requests).toHaveLength(1);
  });

  it('keeps each sample’s readings and says how many signals pass and why the others fail', async () => {
    b.set({ status: 503, body: {} });
    const c = start(props());
    const first = await gate.execute(c);
    const s = suspended(first);
    expect(s.until).toBe(T0 + 10 * S);
    expect(s.message).toBe(`gate health: 1 of 2 signals passing; failing: db: HTTP 503 from ${new URL(b.url).origin}, expected 2xx; sample 1, next at 2026-01-12T12:00:10.000Z`);
    expect(s.progress).toEqual({
      samples: 1,
      lastAt: T0,
      nextAt: T0 + 10 * S,
      last: [
        { name: 'api', type: 'http', pass: true, value: 'green', detail: '$.status is "green", == "green"' },
        { name: 'db', type: 'http', pass: false, value: 503, detail: `HTTP 503 from ${new URL(b.url).origin}, expected 2xx` },
      ],
    });
  });

  it('passes only when every signal passes in the same sample', async () => {
    a.set(green);
    b.set(red);
    const c = start(props({ timeout: '30s' }));
    let o = await gate.execute(c); // api passes, db fails
    a.set(red);
    b.set(green);
    o = await next(c, o); // db passes, api fails: each has passed once, never together
    expect(progressOf(o)).toMatchObject({ samples: 2, last: [{ name: 'api', pass: false }, { name: 'db', pass: true }] });
    expect(progressOf(o).passingSince).toBeUndefined();
    o = await next(c, o);
    o = await next(c, o); // the sample at the timeout
    expect(c.now()).toBe(T0 + 30 * S);
    expect(finished(o)).toMatchObject({
      result: 'fail',
      message: 'gate health failed: timed out after 30s (sample 4): 1 of 2 signals passing; failing at the last sample: api: $.status: "red" is not == "green"',
    });
  });

  it('must keep passing for steady; a failing sample resets it, and steadiness is confirmed when it completes', async () => {
    const c = start(props({ steady: '25s' }));
    let o = await gate.execute(c); // t=0: all pass, steady starts
    expect(suspended(o).message).toBe('gate health: 2 of 2 signals passing; steady for 0s of 25s; sample 1, next at 2026-01-12T12:00:10.000Z');
    expect(progressOf(o).passingSince).toBe(T0);
    o = await next(c, o); // t=10s
    expect(suspended(o).message).toMatch(/2 of 2 signals passing; steady for 10s of 25s; sample 2/);
    b.set(red);
    o = await next(c, o); // t=20s: db fails, steadiness is gone
    expect(progressOf(o).passingSince).toBeUndefined();
    expect(suspended(o).message).toMatch(/^gate health: 1 of 2 signals passing; failing: db: \$\.status: "red" is not == "green"; sample 3/);
    b.set(green);
    o = await next(c, o); // t=30s: all pass again, steady starts over
    expect(progressOf(o).passingSince).toBe(T0 + 30 * S);
    o = await next(c, o); // t=40s
    o = await next(c, o); // t=50s
    expect(suspended(o).until).toBe(T0 + 55 * S); // passingSince + steady comes before the next interval
    o = await next(c, o); // t=55s
    expect(finished(o)).toMatchObject({ result: 'pass', message: 'gate health passed: 2 of 2 signals held for 25s (sample 7)' });
    expect(progressOf(o)).toMatchObject({ samples: 7, passingSince: T0 + 30 * S, lastAt: T0 + 55 * S });
  });

  it('fails at the timeout when the signals pass but have not been steady long enough', async () => {
    const c = start(props({ steady: '1m', timeout: '1m10s', interval: '30s' }));
    b.set(red);
    let o = await gate.execute(c); // t=0 fails
    b.set(green);
    o = await next(c, o); // t=30s all pass
    o = await next(c, o); // t=60s
    expect(suspended(o).until).toBe(T0 + 70 * S); // the last sample is at the timeout itself
    o = await next(c, o);
    expect(finished(o)).toMatchObject({
      result: 'fail',
      message: 'gate health failed: timed out after 1m10s (sample 4): 2 of 2 signals pass but have held only 40s of the 1m steady period',
    });
  });

  it('a signal that cannot be read fails its sample, not the task', async () => {
    const c = start({ interval: '10s', signals: [{ name: 'down', http: { url: await deadUrl() } }] });
    const s = suspended(await gate.execute(c));
    expect(s.message).toMatch(/^gate health: 0 of 1 signal passing; failing: down: http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED/);
    expect((s.progress as unknown as GateProgress).last?.[0]).toMatchObject({ pass: false, value: null });
  });

  it('a timer that fires early waits out the rest without sampling', async () => {
    const c = start(props());
    b.set(red);
    const first = await gate.execute(c);
    const before = a.requests.length;
    (c.task as { progress?: Readonly<Record<string, unknown>> }).progress = suspended(first).progress;
    c.setNow(T0 + 4 * S);
    const early = suspended(await gate.resume!(c, { signal: 'timer' }));
    expect(early.until).toBe(T0 + 10 * S);
    expect(early.progress).toEqual(suspended(first).progress);
    expect(a.requests.length).toBe(before);
  });

  it('continues from its progress after a restart: the sample count and steadiness carry on', async () => {
    const c = start(props({ steady: '30s' }));
    const first = await gate.execute(c);
    // A new process: a fresh context whose task carries only what the store kept.
    const kept = suspended(first).progress;
    ctx.dispose();
    ctx = mockExecutorContext({ now: T0 + 10 * S, task: { name: 'health', kind: 'gate', triggeredAt: T0, properties: props({ steady: '30s' }), progress: kept } });
    const resumed = await gate.execute(ctx);
    expect(progressOf(resumed)).toMatchObject({ samples: 2, passingSince: T0 });
    expect(suspended(resumed).message).toMatch(/steady for 10s of 30s; sample 2/);
  });

  it('a person may skip (pass) or stop (fail) it, with who and why', async () => {
    const c = start(props());
    b.set(red);
    const first = await gate.execute(c);
    (c.task as { progress?: Readonly<Record<string, unknown>> }).progress = suspended(first).progress;
    expect(await gate.resume!(c, { signal: 'skip', by: 'alice', payload: { reason: 'hotfix' } })).toMatchObject({ result: 'pass', message: 'gate health skipped by alice: hotfix', output: { samples: 1 } });
    expect(await gate.resume!(c, { signal: 'stop', by: 'bob', payload: { reason: 'error budget spent' } })).toMatchObject({ result: 'fail', message: 'gate health stopped by bob: error budget spent' });
    const err = await gate.resume!(c, { signal: 'approve' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toBe("gate task 'health' cannot handle signal 'approve'; valid signals: timer, stop, skip");
  });

  it('an aborted task reports why instead of a sample', async () => {
    const c = start(props());
    c.abort(new Error('run aborted by carol'));
    expect(await gate.execute(c)).toEqual({ result: 'fail', message: 'gate health: run aborted by carol' });
  });
});

describe('gate properties', () => {
  it('are checked with field names, every problem at once', () => {
    expect(
      gate.validate!({
        delay: 'soon',
        interval: '0',
        colour: 'red',
        signals: [
          { name: 'ok', http: { url: 'http://x' } },
          { name: 'err', prometheus: { url: 'http://p', query: 'q', condition: 'result ~ 1' } },
          { name: 'ok', businessHours: { timeZone: 'UTC', from: '09:00', to: '17:00' }, alarm: { prometheus: 'http://p' } },
          { http: { url: 'http://x' } },
          { name: 'x', smtp: {} },
        ],
      }),
    ).toEqual([
      { field: 'colour', message: "a gate has no property 'colour'; allowed: delay, interval, steady, timeout, signals" },
      { field: 'delay', message: 'delay "soon" is not a duration; use e.g. `30s`, `5m`, `1h` or a number of ms' },
      { field: 'interval', message: "interval \"0\" is shorter than 1s; a gate's interval lasts 1s to 365d, e.g. `30s`, `5m`, `1h30m`" },
      { field: 'signals[1].prometheus.condition', message: expect.stringMatching(/^condition 'result ~ 1' needs one of == != <= >= < > after result, got '~'/) as string },
      { field: 'signals[2].name', message: "signal 'ok' is named twice (first at signals[0]); signal names must be unique within a gate" },
      { field: 'signals[2]', message: "signal 'ok' needs exactly one of http, prometheus, alarm, businessHours, stage, got alarm and businessHours" },
      { field: 'signals[3].name', message: 'name must be a short name for the signal (letters, digits, - _ .; e.g. error-rate), got nothing' },
      { field: 'signals[4].smtp', message: "a signal has no field 'smtp'; it has a name and one of http, prometheus, alarm, businessHours, stage" },
      { field: 'signals[4]', message: "signal 'x' needs exactly one of http, prometheus, alarm, businessHours, stage, got none" },
    ]);
  });

  it('need signals, and a timeout that leaves room for the delay and the steady period', () => {
    expect(gate.validate!({})).toEqual([{ field: 'signals', message: 'signals must be a list of at least one signal, each with a name and one of http, prometheus, alarm, businessHours, stage, got nothing' }]);
    expect(gate.validate!({ delay: '10m', steady: '1h', timeout: '1h', signals: [{ name: 'a', http: { url: 'http://x' } }] })).toEqual([
      { field: 'timeout', message: 'timeout 1h leaves no time to pass: the first sample comes after delay 10m and the signals must then hold for steady 1h; make timeout at least 1h10m' },
    ]);
    expect(gate.validate!({ signals: Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, http: { url: 'http://x' } })) })[0]?.message).toMatch(/at most 20 signals, got 21/);
  });

  it('give the task a default timeout beyond the gate’s own', () => {
    expect(gate.defaultTimeoutMs!({ timeout: '2h', signals: [] })).toBe(2 * 3_600_000 + 5 * 60_000);
    expect(gate.defaultTimeoutMs!({ timeout: '20m', signals: [{ name: 'a', http: { url: 'http://x' } }] })).toBe(25 * 60_000);
  });

  it('bad properties fail the task without retry when it runs', async () => {
    const c = start({ signals: [] });
    await expect(gate.execute(c)).rejects.toThrow(new NonRetryableTaskError("gate task 'health': properties.signals: signals must be a list of at least one signal, each with a name and one of http, prometheus, alarm, businessHours, stage, got []"));
  });
});
