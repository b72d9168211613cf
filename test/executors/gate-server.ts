/** A real HTTP server on 127.0.0.1 whose answer a gate test sets, recording what it was asked. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Answer {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON. */
  raw?: string;
  /** Do not answer at all (a hung server). */
  hang?: boolean;
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HealthServer {
  url: string;
  set(answer: Answer): void;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startHealthServer(initial: Answer = { status: 200, body: { status: 'green' } }): Promise<HealthServer> {
  let answer = initial;
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (answer.hang) return;
      res.statusCode = answer.status;
      if (answer.raw !== undefined) return res.end(answer.raw);
      res.setHeader('content-type', 'application/json');
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/health`,
    set: (a) => (answer = a),
    requests,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A URL nothing listens on: a port the OS gave and took back. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/health`;
}
