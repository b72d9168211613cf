/**
 * `GET /api/v1/events/stream`: server-sent events. Each message is `id: <seq>`,
 * `event: <type>`, `data: <CloudEvent JSON>`. A client that reconnects with
 * `Last-Event-ID` (or `?after=`) first gets what it missed from the store, then live
 * events, with nothing skipped or repeated. A comment line every 15 s keeps proxies
 * from closing an idle stream; a reader too slow to keep up is disconnected (it resumes
 * with Last-Event-ID).
 */
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Store, StoredEvent } from '../../store/index.js';
import type { EventFeed } from '../event-feed.js';
import { errors } from '../schemas/common.js';
import type { Api } from '../types.js';

const MAX_BUFFERED = 8 * 1024 * 1024;

export interface StreamDeps {
  store: Store;
  feed: EventFeed;
  shutdown: AbortSignal;
  heartbeatMs: number;
}

export function streamRoutes(app: Api, deps: StreamDeps): void {
  app.get('/api/v1/events/stream', {
    config: { scope: 'read' },
    schema: {
      summary: 'Live events as server-sent events; resumes after Last-Event-ID',
      querystring: z.object({ project: z.string().optional(), run: z.string().optional(), after: z.string().optional() }),
      response: { 200: z.string().describe('text/event-stream'), ...errors },
    },
    handler: async (req, reply) => {
      if (deps.shutdown.aborted) throw new SlipwayError('SHUTTING_DOWN', 'the server is stopping; reconnect with Last-Event-ID once it is back');
      const header = req.headers['last-event-id'];
      const from = typeof header === 'string' && header !== '' ? header : req.query.after;
      if (from !== undefined && !/^\d+$/.test(from)) {
        throw new SlipwayError('INVALID_INPUT', `Last-Event-ID must be the id (a seq) of an event this stream sent; got '${from}'`, { field: 'last-event-id' });
      }
      const { project, run } = req.query;
      const matches = (e: StoredEvent) => (project === undefined || e.event.project === project) && (run === undefined || e.event.runid === run);
      const raw = reply.raw;
      let sent = from !== undefined ? Number(from) : deps.feed.position;
      let live = false;
      const pending: StoredEvent[] = [];
      const write = (events: readonly StoredEvent[]) => {
        for (const e of events) {
          if (e.seq <= sent) continue;
          sent = e.seq;
          if (matches(e)) raw.write(`id: ${e.seq}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`);
        }
        if (raw.writableLength > MAX_BUFFERED) raw.destroy();
      };
      const unsubscribe = deps.feed.subscribe((batch) => (live ? write(batch) : pending.push(...batch)));
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), deps.heartbeatMs);
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        deps.shutdown.removeEventListener('abort', end);
        if (!raw.writableEnded) raw.end();
      };
      raw.on('close', end);
      deps.shutdown.addEventListener('abort', end);

      reply.hijack();
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.write('retry: 2000\n\n');
      try {
        for (;;) {
          const page = await deps.store.events({ afterSeq: sent, limit: 500, ...(project !== undefined ? { project } : {}), ...(run !== undefined ? { runId: run } : {}) });
          if (page.length === 0 || raw.destroyed) break;
          write(page);
        }
      } catch (e) {
        req.log.warn({ err: e }, 'event stream backlog failed');
        end();
        return;
      }
      live = true;
      write(pending.splice(0));
    },
  });
}
