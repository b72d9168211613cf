/** Sends a list of HTTP requests at a fixed concurrency from a worker thread (see http-load-worker.ts). */
import { Worker } from 'node:worker_threads';

export interface LoadRequest {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/api/v1/projects/p/status`. */
  path: string;
  /** Sent as JSON when present. */
  body?: unknown;
}

export interface LoadJob {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  token: string;
  concurrency: number;
  /** The status every answer should have; others are counted and the first few kept in `errors`. */
  expect: number;
  requests: LoadRequest[];
  /** Go round `requests` until `runLoad`'s `stop` settles, instead of sending each once. */
  untilStopped?: boolean;
  /**
   * Open loop: request i is sent at start + i / ratePerS (by whichever of the `concurrency`
   * loops is free), so a slow answer does not thin out the requests that would meet it.
   * The latency then counts from the scheduled time, not from when a loop got to it.
   */
  ratePerS?: number;
}

export interface LoadResult {
  /** Per request, in the order the answers came, in ms. */
  latenciesMs: number[];
  /** Answers by HTTP status (`error` for a connection that failed). */
  statuses: Record<string, number>;
  /** Up to five unexpected answers or failures, for the report. */
  errors: string[];
  /** From the first request sent to the last answer read. */
  seconds: number;
}

/** With `job.untilStopped`, the load goes on until `stop` settles; requests in flight then finish. */
export function runLoad(job: LoadJob, stop?: Promise<unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./http-load-worker.js', import.meta.url), { workerData: job });
    const halt = () => worker.postMessage('stop');
    stop?.then(halt, halt);
    let settled = false;
    worker.once('message', (m: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
      settled = true;
      void worker.terminate();
      if (m.ok) resolve(m.result);
      else reject(new Error(`load generator failed: ${m.error}`));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with code ${code} before answering`));
    });
  });
}
