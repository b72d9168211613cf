/**
 * Real HTTP on 127.0.0.1 for the router tests: small node:http backends that say which one
 * answered, a router in front of them, and a keep-alive client. Everything started here is
 * closed by `cleanup()` in afterEach.
 */
import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, type RouterOptions, type Upstream } from '../../../src/platform/router/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Backend extends Upstream {
  name: string;
  server: Server;
  /** Requests it received, with their headers. */
  seen: IncomingMessage['headers'][];
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];

export async function cleanup(): Promise<void> {
  const all = closers.splice(0).reverse();
  for (const close of all) await close();
}

/** A backend answering `name` (and `x-backend: name`), unless `handler` answers instead. */
export async function backend(name: string, handler?: Handler): Promise<Backend> {
  const seen: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (handler) return handler(req, res);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
      res.end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  closers.push(close);
  return { name, host: '127.0.0.1', port, server, seen, close };
}

export async function router(opts: RouterOptions = {}): Promise<{ router: Router; url: string }> {
  const r = new Router({ host: '127.0.0.1', port: 0, ...opts });
  const { url } = await r.listen();
  closers.push(() => r.close(1000));
  return { router: r, url };
}

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export const keepAlive = (): Agent => {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  closers.push(async () => agent.destroy());
  return agent;
};

/** One request; resolves with the whole answer. */
export function send(url: string, opts: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(opts.path ?? '/', url), { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** `n` requests one after another; counts the answering backends by body. */
export async function tally(url: string, n: number, opts: Parameters<typeof send>[1] = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const a = await send(url, opts);
    counts[a.body] = (counts[a.body] ?? 0) + 1;
  }
  return counts;
}

/** Resolves once `check` holds, polling every 10 ms, or fails after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
