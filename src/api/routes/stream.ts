/**
 * `GET /api/v1/events/stream`: server-sent events. Each message is `id: <seq>`,
 * `event: <type>`, `data: <CloudEvent JSON>`. A client that reconnects with
 * `Last-Event-ID` (or `?after=`) first gets what it missed from the store, then live
 * events, with nothing skipped or repeated. The backlog goes out a page at a time, each
 * page only once the socket took the one before, so a client any distance behind catches
 * up; live events that commit meanwhile wait and follow in order. A comment line every
 * 15 s keeps proxies from closing an idle stream; a reader that stops reading is dropped
 * (see SseSink) and resumes with Last-Event-ID.
 *
 * Every stream is sent gzip-compressed to a client that accepts it (browsers and fetch do). For
 * the stream of every event (no filter), each batch is compressed once for all such streams
 * (gzip-frames.ts); a filtered or Keptn stream compresses what it sends on its own. A clean end
 * (the server stopping) closes the gzip data with its trailer.
 */
import negotiate from '@fastify/accept-negotiator';
import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Pipeline } from '../../core/index.js';
import { KeptnProjectReader, keptnProject } from '../../keptn/index.js';
import type { Store, StoredEvent } from '../../store/index.js';
import type { EventFeed } from '../event-feed.js';
import { errors } from '../schemas/common.js';
import { GzipFraming, gzipPiece, type GzipPiece } from '../gzip-frames.js';
import { sseBatch, sseBatchGzip, sseFrame } from '../sse-frames.js';
import { SseSink, type SseLimits } from '../sse-sink.js';
import type { Api } from '../types.js';

/** Events read from the store per backlog page. */
const PAGE = 500;
/** Live events held while the backlog is sent; beyond this they are let go and read from the store instead. */
const MAX_PENDING = 5000;

const RETRY = 'retry: 2000\n\n';
const KEEP_ALIVE = ': keep-alive\n\n';
const RETRY_GZ = gzipPiece(RETRY);
const KEEP_ALIVE_GZ = gzipPiece(KEEP_ALIVE);

export interface StreamDeps {
  store: Store;
  feed: EventFeed;
  shutdown: AbortSignal;
  heartbeatMs: number;
  limits: SseLimits;
  /** The project's pipeline: `dialect=keptn` serves only projects Keptn's protocol serves. */
  pipeline: (project: string) => Pipeline | undefined;
}

export function streamRoutes(app: Api, deps: StreamDeps): void {
  // Every open stream listens for the shutdown: hundreds of dashboards are normal, not a leak.
  setMaxListeners(0, deps.shutdown);
  app.get('/api/v1/events/stream', {
    config: { scope: 'read' },
    schema: {
      summary: 'Live events as server-sent events; resumes after Last-Event-ID',
      // `dialect=keptn`: Keptn's CloudEvents (docs/keptn.md, "Events Slipway sends"); needs `project`.
      querystring: z.object({ project: z.string().optional(), run: z.string().optional(), after: z.string().optional(), dialect: z.enum(['slipway', 'keptn']).optional() }),
      response: { 200: z.string().describe('text/event-stream'), ...errors },
    },
    handler: async (req, reply) => {
      if (deps.shutdown.aborted) throw new SlipwayError('SHUTTING_DOWN', 'the server is stopping; reconnect with Last-Event-ID once it is back');
      const header = req.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && header !== '';
      const from = fromHeader ? header : req.query.after;
      if (from !== undefined && !/^\d+$/.test(from)) {
        const [name, field] = fromHeader ? ['Last-Event-ID', 'last-event-id'] : ['?after=', 'after'];
        throw new SlipwayError('INVALID_INPUT', `${name} must be the id (a seq) of an event this stream sent, like 0 or 1234; got '${from}'`, { field });
      }
      const { project, run } = req.query;
      if (req.query.dialect === 'keptn' && project === undefined) {
        throw new SlipwayError('INVALID_INPUT', 'dialect=keptn streams one project (Keptn events belong to a project); add ?project=NAME', { field: 'project' });
      }
      if (req.query.dialect === 'keptn' && project !== undefined) keptnProject(deps.pipeline, project);
      const matches = (e: StoredEvent) => (project === undefined || e.event.project === project) && (run === undefined || e.event.runid === run);
      const raw = reply.raw;
      let sent = from !== undefined ? Number(from) : deps.feed.position;
      // The Keptn fold needs every event of the project, so the backlog is read by project and `run` filters what is sent.
      const keptn = req.query.dialect === 'keptn' && project !== undefined ? await KeptnProjectReader.upTo(deps.store, project, sent) : undefined;
      const sink = new SseSink(raw, deps.limits, (why) => req.log.info({ why, sent }, 'event stream reader dropped; it may resume with Last-Event-ID'));
      const everything = project === undefined && run === undefined && !keptn;
      const gzip = negotiate(req.headers['accept-encoding'] ?? '', ['gzip', 'identity']) === 'gzip' ? new GzipFraming() : undefined;
      // Every chunk goes out through here: as it is, or as its compressed piece (made only for a gzip stream).
      const write = (plain: string | Buffer, piece: () => GzipPiece) => sink.send(gzip ? gzip.add(piece()) : plain);
      // A batch goes out as one chunk; a stream of every event shares the batch's encoding (and compression) with the others.
      const send = (events: readonly StoredEvent[]) => {
        if (events.length === 0) return;
        if (everything && events[0]!.seq > sent) {
          sent = events.at(-1)!.seq;
          return write(sseBatch(events), () => sseBatchGzip(events));
        }
        const out: string[] = [];
        for (const e of events) {
          if (e.seq <= sent) continue;
          sent = e.seq;
          if (keptn) {
            // Every Keptn event of one Slipway event carries its seq: Last-Event-ID resumes after the whole group.
            for (const k of keptn.map(e)) if (matches(e)) out.push(`id: ${e.seq}\nevent: ${k.type}\ndata: ${JSON.stringify(k)}\n\n`);
          } else if (matches(e)) out.push(sseFrame(e));
        }
        if (out.length > 0) {
          const text = out.join('');
          write(text, () => gzipPiece(text));
        }
      };

      // Live events that commit while the backlog is sent wait here. When too many wait they
      // are let go: they are in the store, and the backlog reads on until it finds nothing new.
      let live = false;
      let pending: StoredEvent[] = [];
      let letGo = false;
      const unsubscribe = deps.feed.subscribe((batch) => {
        if (live) return send(batch);
        pending.push(...batch);
        if (pending.length > MAX_PENDING) {
          pending = [];
          letGo = true;
        }
      });
      const heartbeat = setInterval(() => write(KEEP_ALIVE, () => KEEP_ALIVE_GZ), deps.heartbeatMs);
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        // The trailer counts everything added: only when nothing added is still waiting in the sink.
        const trailer = gzip !== undefined && sink.queued === 0 && !raw.destroyed ? gzip.trailer() : undefined;
        sink.stop();
        deps.shutdown.removeEventListener('abort', end);
        if (!raw.writableEnded) raw.end(trailer);
      };
      raw.on('close', end);
      deps.shutdown.addEventListener('abort', end);

      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      if (gzip) sink.send(gzip.header());
      write(RETRY, () => RETRY_GZ);
      try {
        for (;;) {
          letGo = false;
          const page = await deps.store.events({ afterSeq: sent, limit: PAGE, ...(project !== undefined ? { project } : {}), ...(run !== undefined && !keptn ? { runId: run } : {}) });
          if (sink.closed) return;
          if (page.length === 0 && !letGo) break;
          send(page);
          pending = pending.filter((e) => e.seq > sent);
          await sink.idle();
          if (sink.closed) return;
        }
      } catch (e) {
        req.log.warn({ err: e }, 'event stream backlog failed');
        end();
        return;
      }
      live = true;
      send(pending);
      pending = [];
    },
  });
}
