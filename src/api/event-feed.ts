/**
 * Committed events with their log positions, in order, for live readers (SSE streams,
 * the push deliverer). The engine says when a transaction committed; the feed then reads
 * what is new from the store, after the last seq it saw, so no event is skipped or
 * repeated however commits and reads interleave.
 *
 * Reads are at least `MIN_GAP_MS` apart: under load the engine commits hundreds of times a
 * second, and a read (and a socket write per reader) per commit cost the server's event loop
 * more than the events themselves. Commits within the gap go out together as one batch; a
 * quiet server's first commit is read at once.
 *
 * With no listener, a read only moves the position to the log's end (a server without live
 * readers decoded every event for no one).
 *
 * A batch is handed to `FAN_OUT_SLICE` listeners per turn of the event loop: 200 streams
 * writing a batch of several hundred KB into their sockets at once held the loop for tens of
 * ms, and every request waited behind it. Batches still reach each listener in order.
 */
import type { Engine } from '../engine/index.js';
import type { Store, StoredEvent } from '../store/index.js';

type Listener = (events: readonly StoredEvent[]) => void;

export const MIN_GAP_MS = 20;
/** Listeners called per turn of the event loop. */
export const FAN_OUT_SLICE = 16;

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

export class EventFeed {
  private last = 0;
  private readonly listeners = new Set<Listener>();
  private reading: Promise<void> | undefined;
  private again = false;
  private lastRead = -Infinity;
  private readonly onCommit = ({ events }: { events: number }) => {
    if (events > 0) this.poke();
  };

  constructor(
    private readonly engine: Engine,
    private readonly store: Store,
  ) {}

  async start(): Promise<void> {
    this.last = await this.store.lastEventSeq();
    this.engine.emitter.on('committed', this.onCommit);
  }

  stop(): void {
    this.engine.emitter.off('committed', this.onCommit);
    this.listeners.clear();
  }

  /** The newest seq handed to every listener. */
  get position(): number {
    return this.last;
  }

  /** Calls `fn` with every batch of events read from now on; returns the unsubscribe. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves once everything committed so far has been handed out. */
  async settle(): Promise<void> {
    while (this.reading) await this.reading;
  }

  private poke(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    const wait = this.lastRead + MIN_GAP_MS - performance.now();
    const due = wait > 0 ? new Promise<void>((r) => setTimeout(r, wait)) : Promise.resolve();
    this.reading = due.then(() => this.drain()).finally(() => {
      this.lastRead = performance.now();
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async drain(): Promise<void> {
    if (this.listeners.size === 0) {
      // Nobody reads: the position moves to the log's end without reading (and decoding) the events.
      // Checked again after the read: a stream that subscribed meanwhile gets them from the store below.
      let end: number;
      try {
        end = await this.store.lastEventSeq();
      } catch {
        return;
      }
      if (this.listeners.size === 0) {
        this.last = Math.max(this.last, end);
        return;
      }
    }
    for (;;) {
      let batch: StoredEvent[];
      try {
        batch = await this.store.events({ afterSeq: this.last, limit: 1000 });
      } catch {
        return; // the store is closing; the next commit tries again
      }
      if (batch.length === 0) return;
      const listeners = [...this.listeners];
      for (let i = 0; i < listeners.length; i++) {
        if (i > 0 && i % FAN_OUT_SLICE === 0) await nextTurn();
        const fn = listeners[i]!;
        // One that unsubscribed meanwhile (its stream closed) gets nothing more.
        if (!this.listeners.has(fn)) continue;
        try {
          fn(batch);
        } catch {
          // one reader failing (a closed socket) must not starve the others
        }
      }
      // Moved only once every listener had the batch: a stream opened during the fan-out starts
      // from `position`, reads this batch from the store, and is not among those given it here.
      this.last = batch.at(-1)!.seq;
    }
  }
}
