/**
 * A real HTTP receiver on 127.0.0.1 that records what it is sent. It answers from a script
 * of statuses (the last one repeats), or `hang` (never answers until closed). Waiting on it
 * listens for requests with a deadline; nothing sleeps.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  port: number;
  got: Received[];
  /** Requests that arrived and were not answered (hang). */
  hanging(): number;
  /** Resolves once `n` requests arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answers: (number | 'hang')[] = [200], port = 0): Promise<Receiver> {
  const got: Received[] = [];
  const waiters: (() => void)[] = [];
  let open = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // recorded raw
      }
      const answer = answers[Math.min(got.length, answers.length - 1)]!;
      got.push({ path: req.url ?? '', headers: req.headers, raw, body });
      for (const w of waiters.splice(0)) w();
      if (answer === 'hang') {
        open++;
        res.on('close', () => open--);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    got,
    hanging: () => open,
    waitFor(n, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (got.length >= n) {
            clearTimeout(timer);
            resolve(got.slice(0, n));
            return true;
          }
          waiters.push(check);
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${n} requests; got ${got.length}: ${got.map((g) => g.body['topic'] ?? g.body['text']).join(', ')}`)), timeoutMs);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on (taken, then given back): connections to it are refused. */
export async function refusedPort(): Promise<number> {
  const r = await startReceiver();
  await r.close();
  return r.port;
}

/** Polls `probe` until it answers something (not undefined), up to a deadline. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
