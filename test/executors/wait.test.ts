import { afterEach, describe, expect, it } from 'vitest';
import { NonRetryableTaskError } from '../../src/engine/executor.js';
import { createWaitExecutor, mockExecutorContext, type MockExecutorContext } from '../../src/executors/index.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const soak = createWaitExecutor();
let ctx: MockExecutorContext;
afterEach(() => ctx.dispose());

function waitTask(duration: unknown, now = T0): MockExecutorContext {
  return mockExecutorContext({ now, task: { name: 'soak', kind: 'wait', triggeredAt: T0, properties: { duration } } });
}

describe('wait executor', () => {
  it('suspends until triggeredAt + duration, open to stop and skip', async () => {
    ctx = waitTask('1h30m');
    expect(await soak.execute(ctx)).toEqual({
      suspend: { until: T0 + 5_400_000, waitingFor: 'stop|skip', message: 'soaking for 1h30m until 2025-01-01T13:30:00.000Z' },
    });
  });

  it('keeps the original due time when re-dispatched after a restart', async () => {
    ctx = waitTask('30m', T0 + 20 * 60_000);
    const outcome = await soak.execute(ctx);
    expect(outcome).toMatchObject({ suspend: { until: T0 + 30 * 60_000 } });
  });

  it('passes when its timer comes due', async () => {
    ctx = waitTask('5m', T0 + 5 * 60_000);
    expect(await soak.resume!(ctx, { signal: 'timer' })).toEqual({ result: 'pass', message: 'soaked for 5m' });
  });

  it('waits out the rest when its timer fires early', async () => {
    ctx = waitTask('5m', T0 + 60_000);
    expect(await soak.resume!(ctx, { signal: 'timer' })).toMatchObject({ suspend: { until: T0 + 5 * 60_000 } });
  });

  it('passes when skipped, naming who and why', async () => {
    ctx = waitTask('1h');
    const outcome = await soak.resume!(ctx, { signal: 'skip', by: 'alice', payload: { reason: 'hotfix' } });
    expect(outcome).toEqual({ result: 'pass', message: 'soak skipped by alice: hotfix' });
  });

  it('fails when stopped, naming who and why', async () => {
    ctx = waitTask('1h');
    const outcome = await soak.resume!(ctx, { signal: 'stop', by: 'bob', payload: { reason: 'error rate up' } });
    expect(outcome).toEqual({ result: 'fail', message: 'soak stopped by bob: error rate up' });
  });

  it('refuses an unknown signal without retry, naming the valid ones', async () => {
    ctx = waitTask('1h');
    const err = await soak.resume!(ctx, { signal: 'approve' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableTaskError);
    expect((err as Error).message).toBe("wait task 'soak' cannot handle signal 'approve'; valid signals: timer, stop, skip");
  });

  it('accepts a number of ms and times out an hour after the soak', async () => {
    ctx = waitTask(1500);
    expect(await soak.execute(ctx)).toMatchObject({ suspend: { until: T0 + 1500 } });
    expect(soak.defaultTimeoutMs!({ duration: '30m' })).toBe(90 * 60_000);
  });

  it('reports a missing or bad duration', async () => {
    ctx = waitTask('soon');
    expect(soak.validate!({})).toEqual([
      { field: 'duration', message: 'duration is required, e.g. `30s`, `5m`, `1h30m` or a number of ms' },
    ]);
    expect(soak.validate!({ duration: 'soon' })[0]?.message).toMatch(/"soon" is not a duration/);
    expect(soak.validate!({ duration: '10m' })).toEqual([]);
    await expect(soak.execute(ctx)).rejects.toBeInstanceOf(NonRetryableTaskError);
  });
});
