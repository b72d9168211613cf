/** One health check: GET http://127.0.0.1:<port><path>, healthy on a 2xx answer within the timeout. */
import { request } from 'node:http';
import type { Clock } from './clock.js';

export interface ProbeResult {
  ok: boolean;
  /** What happened, for messages: `answered 503`, `timed out after 1000 ms`, `ECONNREFUSED`. */
  detail: string;
}

export function probe(port: number, path: string, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      resolve(result);
    };
    // No keep-alive: a check holds no connection that would delay the app's graceful close.
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { 'user-agent': 'slipway-health' } });
    const timer = clock.setTimeout(() => {
      settle({ ok: false, detail: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.once('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      settle({ ok: status >= 200 && status < 300, detail: `answered ${status}` });
    });
    req.once('error', (err: NodeJS.ErrnoException) => settle({ ok: false, detail: err.code ?? err.message }));
    req.end();
  });
}
