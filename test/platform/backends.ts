/** Small HTTP backends on 127.0.0.1 that say who answered, for router and target tests. */
import type { Server } from 'node:http';
import { createServer, get } from 'node:http';

export interface Backend {
  name: string;
  port: number;
  address: string;
  close(): Promise<void>;
}

export async function backend(name: string, opts: { failRate?: number } = {}): Promise<Backend> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok');
    n++;
    const fail = opts.failRate !== undefined && n % Math.round(1 / opts.failRate) === 0;
    res.statusCode = fail ? 500 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name }));
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/**
 * Who answered `url` (the backend name), or the status when it was not a backend. A new
 * connection each time: a kept-alive one may still be served by a proxy's old config.
 */
export function whoAnswers(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(text) as { backend: string }).backend : `status ${res.statusCode}`));
    });
    req.on('error', reject);
  });
}

/** Polls until `check` holds (nginx reloads and routers apply asynchronously). */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!check(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}
