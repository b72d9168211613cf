/**
 * A paced load with µs timing, run inside the router bench's load generator process
 * (bench/router-loadgen.ts). Each of `connections` keep-alive connections sends one request
 * every `connections / rate` seconds, offset from the others so the load is even (autocannon's
 * rate limit sends each second's budget in a burst). Latency counts from when a request was due
 * if the one before it on the same connection was still out then (coordinated omission), else
 * from when it was sent. Latency here includes the generator's own share of the work, the same
 * for every target. The first `warmupSeconds` run on the same connections and are not counted:
 * fresh connections are slow for a few hundred ms, on either end.
 */
import { Pool } from 'undici';
import type { LoadResult } from './router-load.js';

const sleepUntil = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

export async function pacedRun(url: string, connections: number, rate: number, seconds: number, warmupSeconds: number): Promise<LoadResult> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const path = new URL(url).pathname;
  const intervalMs = (1000 * connections) / rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;

  async function connection(offsetMs: number, start: number, t0: number, end: number): Promise<void> {
    let previousDone = 0;
    for (let due = start + offsetMs; due < end; due += intervalMs) {
      if (performance.now() < due) await sleepUntil(due);
      // Late because the previous answer came after this one was due: that wait is the server's,
      // so it counts. Late only because this process's timer fired late: that is not the server's.
      const from = previousDone > due ? due : performance.now();
      try {
        const res = await pool.request({ path, method: 'GET' });
        await res.body.dump();
        if ((res.statusCode < 200 || res.statusCode >= 300) && due >= t0) non2xx++;
      } catch {
        if (due >= t0) errors++;
      }
      previousDone = performance.now();
      if (due >= t0) latencies.push(previousDone - from);
    }
  }

  try {
    const start = performance.now() + 50;
    const t0 = start + warmupSeconds * 1000;
    const end = t0 + seconds * 1000;
    await Promise.all(Array.from({ length: connections }, (_, i) => connection((i * intervalMs) / connections, start, t0, end)));
    const took = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? Number.NaN;
    return { requests: latencies.length, rps: latencies.length / took, p50Ms: at(50), p99Ms: at(99), errors, non2xx };
  } finally {
    await pool.close();
  }
}
