/**
 * The load generator's body, run in a worker thread so that the client's work does not
 * share an event loop with the server it measures. `concurrency` loops each send one
 * request at a time over keep-alive connections (node:http, one socket per loop) and take
 * the next request from a shared list until it is empty (or, with `untilStopped`, go round
 * the list until the parent says stop). A latency is from `request()` until the last byte
 * of the answer.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { LoadJob, LoadRequest, LoadResult } from './http-load.js';

function send(agent: Agent, job: LoadJob, r: LoadRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    const req = request(
      `${job.origin}${r.path}`,
      {
        method: r.method,
        agent,
        headers: {
          authorization: `Bearer ${job.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  let stopped = false;
  let wake: () => void = () => undefined;
  // A loop waiting for its request's due time wakes when told to stop: with `concurrency`
  // loops each holding a request up to concurrency / ratePerS seconds ahead (a second at 50
  // loops and 50/s), the run went on that long after the stop for nothing.
  const stopping = new Promise<void>((r) => (wake = r));
  parentPort!.on('message', (m) => {
    if (m === 'stop') {
      stopped = true;
      wake();
    }
  });
  const until = async (due: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((w) => (timer = setTimeout(w, due - performance.now()))), stopping]);
    clearTimeout(timer);
  };
  const more = (i: number): boolean => (job.untilStopped ? !stopped : i < job.requests.length);
  let next = 0;
  const start = performance.now();
  const loop = async (): Promise<void> => {
    for (let i = next++; more(i); i = next++) {
      const r = job.requests[i % job.requests.length]!;
      const due = job.ratePerS === undefined ? undefined : start + (i * 1000) / job.ratePerS;
      if (due !== undefined && due > performance.now()) await until(due);
      if (!more(i)) break;
      const t0 = due ?? performance.now();
      let status: string;
      try {
        const res = await send(agent, job, r);
        status = String(res.status);
        if (res.status !== job.expect && errors.length < 5) errors.push(`${r.method} ${r.path}: ${res.status} ${res.body.slice(0, 300)}`);
      } catch (e) {
        status = 'error';
        if (errors.length < 5) errors.push(`${r.method} ${r.path}: ${(e as Error).message}`);
      }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { latenciesMs: latencies, statuses, errors, seconds };
}

run(workerData as LoadJob).then(
  (r) => parentPort!.postMessage({ ok: true, result: r }),
  (e: unknown) => parentPort!.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);
