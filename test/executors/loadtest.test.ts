/**
 * The loadtest executor on its own (MockExecutorContext): property checks, verdicts against
 * thresholds and the previous release, and abort, against a real HTTP server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoadtestExecutor, mockExecutorContext } from '../../src/executors/index.js';
import { judgeLevel, parseLoadtest, percentile, type LevelFigures } from '../../src/executors/loadtest/index.js';
import { isSuspend } from '../../src/engine/executor.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

async function serve(status = 200): Promise<string> {
  server = createServer((_req, res) => {
    res.statusCode = status;
    res.end('ok');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const figures = (over: Partial<LevelFigures> = {}): LevelFigures => ({ level: 5, rps: 250, durationMs: 30_000, requests: 7500, errors: 0, errorRate: 0, timeouts: 0, throughput: 250, p50Ms: 20, p95Ms: 80, p99Ms: 120, maxMs: 200, statuses: { '200': 7500 }, replayed: false, ...over });

describe('loadtest properties', () => {
  it('accepts the documented form and names every bad field', () => {
    expect(parseLoadtest({ url: 'http://x/', baseline: { rps: 50 }, levels: [1, 2, 5, 10], duration: '30s', thresholds: { errorRate: 0.01, p99Ms: 500 } }).problems).toEqual([]);
    expect(parseLoadtest({ baseline: { live: '1m', min: 2 } }).problems).toEqual([]);
    const fields = parseLoadtest({ url: 'ftp://x', baseline: {}, levels: [], duration: '0s', thresholds: { p99: 1 }, regression: { latency: 0.5 }, extra: 1 }).problems.map((p) => p.field);
    expect(fields.sort()).toEqual(['baseline', 'duration', 'extra', 'levels', 'regression.latency', 'thresholds.p99', 'url']);
  });
});

describe('verdicts', () => {
  it('fails naming the figure, warns on a regression against the previous release, else passes', () => {
    expect(judgeLevel(figures({ p99Ms: 812 }), { thresholds: { p99Ms: 500 }, warn: {} })).toEqual({ result: 'fail', reasons: ['p99 812 ms > 500 ms'] });
    expect(judgeLevel(figures({ errors: 150, errorRate: 0.02 }), { thresholds: { errorRate: 0.01 }, warn: {} }).reasons).toEqual(['error rate 2.0% > 1.0% (150 of 7500)']);
    const regression = { latency: 1.5, result: 'warning' as const };
    expect(judgeLevel(figures({ p99Ms: 300 }), { thresholds: { p99Ms: 500 }, warn: {}, regression, previous: figures({ p99Ms: 120 }), previousRelease: 'rel-0' })).toEqual({
      result: 'warning',
      reasons: ['p99 300 ms is 2.5× the 120 ms of rel-0 (at most 1.5×)'],
    });
    // A millisecond or two on a fast service is noise, not a regression.
    expect(judgeLevel(figures({ p99Ms: 3 }), { thresholds: {}, warn: {}, regression, previous: figures({ p99Ms: 1 }) }).result).toBe('pass');
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });
});

describe('the loadtest executor', () => {
  it('runs a level, reports it as progress, and fails the next level on errors with the level named', async () => {
    const ok = await serve(200);
    const exec = createLoadtestExecutor({ targets: () => undefined });
    const ctx = mockExecutorContext({ task: { name: 'load', kind: 'loadtest', properties: { url: ok, baseline: { rps: 5 }, levels: [1, 2], duration: '1s' } } });
    const first = await exec.execute(ctx);
    expect(isSuspend(first)).toBe(true);
    if (!isSuspend(first)) return;
    expect(first.suspend.message).toMatch(/^level 1 of 2 pass: 1× \(5 rps\): p50 \d+ ms, p95 \d+ ms, p99 \d+ ms, 0\.0% errors, [\d.]+ rps served; next 2× \(10 rps\)$/);
    expect(ctx.heartbeats.length).toBeGreaterThan(0);
    await new Promise((r) => server!.close(r));
    server = undefined;
    // The target now answers 503: the second level fails on its error rate.
    const failing = await serve(503);
    const next = mockExecutorContext({ task: { name: 'load', kind: 'loadtest', properties: { url: failing, baseline: { rps: 5 }, levels: [1, 2], duration: '1s' }, progress: first.suspend.progress! } });
    const out = await exec.resume!(next, { signal: 'timer' });
    expect(out).toMatchObject({ result: 'fail' });
    if (isSuspend(out)) return;
    expect(out.message).toMatch(/^fails at 2× \(10 rps\): error rate 100\.0% > 1\.0%/);
    expect((out.output!['levels'] as unknown[]).length).toBe(2);
    ctx.dispose();
    next.dispose();
  });

  // A level of an hour that ends when aborted: the test would time out otherwise.
  it('stops the load when the task is aborted', async () => {
    const ok = await serve(200);
    const exec = createLoadtestExecutor({ targets: () => undefined });
    const ctx = mockExecutorContext({ task: { name: 'load', kind: 'loadtest', properties: { url: ok, baseline: { rps: 5 }, levels: [1], duration: '1h' } } });
    const running = exec.execute(ctx);
    await new Promise<void>((resolve) => server!.once('request', () => resolve()));
    ctx.abort(new Error('run aborted'));
    await expect(running).rejects.toThrow(/run aborted/);
    ctx.dispose();
  });
});
