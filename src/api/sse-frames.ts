/**
 * Server-sent-event frames, serialised once per event however many streams send it. With
 * 200 dashboards following every event, encoding per stream cost 200 JSON.stringify calls
 * and 200 socket writes per event; now a batch the feed hands out is encoded once, and each
 * stream writes it as one chunk. The chunk is a Buffer: a string written to 200 sockets is
 * converted to UTF-8 200 times (measured: a third of the server's event loop at 100 triggers/s),
 * a Buffer is handed to the kernel as it is. The caches are weak: a batch and its events leave
 * memory once every stream has sent them.
 */
import { eventJson, type StoredEvent } from '../store/index.js';
import { gzipPiece, type GzipPiece } from './gzip-frames.js';

const frames = new WeakMap<StoredEvent, string>();
const joined = new WeakMap<readonly StoredEvent[], Buffer>();
const compressed = new WeakMap<readonly StoredEvent[], GzipPiece>();

/** `id: <seq>`, `event: <type>`, `data: <CloudEvent JSON>` and the blank line that ends it. */
export function sseFrame(e: StoredEvent): string {
  let f = frames.get(e);
  if (f === undefined) {
    // The text the event was stored as when it was read from the log (event-json.ts), encoded here otherwise.
    f = `id: ${e.seq}\nevent: ${e.event.type}\ndata: ${eventJson(e.event)}\n\n`;
    frames.set(e, f);
  }
  return f;
}

/** Every event of a batch, in order, as one chunk (the same bytes for every stream). */
export function sseBatch(batch: readonly StoredEvent[]): Buffer {
  let b = joined.get(batch);
  if (b === undefined) {
    b = Buffer.from(batch.map(sseFrame).join(''), 'utf8');
    joined.set(batch, b);
  }
  return b;
}

/** The same chunk compressed once for every stream that sends gzip (gzip-frames.ts). */
export function sseBatchGzip(batch: readonly StoredEvent[]): GzipPiece {
  let p = compressed.get(batch);
  if (p === undefined) {
    p = gzipPiece(sseBatch(batch));
    compressed.set(batch, p);
  }
  return p;
}
