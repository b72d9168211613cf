/** A small server-sent-events reader over node:http, for tests that need a real socket. */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface SseStream {
  status: number;
  /** The answer's Content-Encoding (undefined: none). */
  encoding: string | undefined;
  /** Bytes as they came off the socket (compressed, for gzip). */
  wireBytes(): number;
  /** Why decompressing failed, if it did (a gzip stream cut short, or a bad trailer). */
  decodeError(): string | undefined;
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
  /** Send Accept-Encoding: gzip, and decompress the answer when it is compressed. */
  gzip?: boolean;
}

export function openStream(url: string, headers: Record<string, string>, opts: StreamOptions = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { accept: 'text/event-stream', ...(opts.gzip ? { 'accept-encoding': 'gzip' } : {}), ...headers } }, (res: IncomingMessage) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      const waiters: (() => void)[] = [];
      let buffer = '';
      let endResolve: () => void = () => undefined;
      const ended = new Promise<void>((r) => (endResolve = r));
      let wire = 0;
      let decodeError: string | undefined;
      let complete = false;
      res.on('data', (chunk: Buffer | string) => (wire += Buffer.byteLength(chunk)));
      res.on('end', () => (complete = true));
      const encoding = res.headers['content-encoding'];
      const body = encoding === 'gzip' ? res.pipe(createGunzip()) : res;
      body.on('error', (e: Error) => {
        decodeError = e.message;
        endResolve();
      });
      body.setEncoding('utf8');
      body.on('data', (chunk: string) => {
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
      body.on('end', () => endResolve());
      // A compressed stream that ended has ended once its decompressor has (it may hold the last events); one cut off has ended then.
      res.on('close', () => {
        if (body === res || !complete) endResolve();
      });
      resolve({
        status: res.statusCode ?? 0,
        encoding,
        wireBytes: () => wire,
        decodeError: () => decodeError,
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
