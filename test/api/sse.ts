/** A small server-sent-events reader over node:http, for tests that need a real socket. */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface SseStream {
  status: number;
  messages: SseMessage[];
  comments: string[];
  /** Resolves once `n` messages arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<SseMessage[]>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
  /** Stops reading from the socket (the server's writes back up), and starts again. */
  pause(): void;
  resume(): void;
}

export interface StreamOptions {
  /** Open without reading: nothing is taken from the socket until `resume()`. */
  paused?: boolean;
}

export function openStream(url: string, headers: Record<string, string>, opts: StreamOptions = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res: IncomingMessage) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      const waiters: (() => void)[] = [];
      let buffer = '';
      let endResolve: () => void = () => undefined;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const m: SseMessage = { data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) {
              m.id = line.slice(4);
              isMessage = true;
            } else if (line.startsWith('event: ')) m.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              m.data += line.slice(6);
              isMessage = true;
            }
          }
          if (isMessage) messages.push(m);
          for (const w of waiters.splice(0)) w();
        }
      });
      if (opts.paused) res.pause();
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      resolve({
        status: res.statusCode ?? 0,
        messages,
        comments,
        ended,
        close: () => req.destroy(),
        pause: () => res.pause(),
        resume: () => res.resume(),
        async waitFor(n, ms = 10_000) {
          const until = Date.now() + ms;
          while (messages.length < n) {
            if (Date.now() > until) throw new Error(`only ${messages.length} of ${n} events arrived`);
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
          return messages.slice(0, n);
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
