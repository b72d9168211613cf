/**
 * Dark launches: a copy of a live request goes to the mirror slot and its answer is read and
 * dropped. The copy never slows or fails the live request: its body is fed without waiting
 * (a copy that falls more than 1 MiB behind is abandoned), at most `maxInFlight` copies run at
 * once, each gets `timeoutMs` to answer, and its errors only count in the mirror slot's metrics.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { nextPool, type Slot } from './table.js';
import { MIRROR_HEADER } from './types.js';

const MAX_LAG_BYTES = 1024 * 1024;

export type Recorder = (slot: string, status: number, ms: number) => void;

class DiscardHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  dropped = false;
  private readonly start = performance.now();

  constructor(private readonly slot: string, private readonly record: Recorder, private readonly end: () => void) {}

  /** Present so undici drives this handler through the controller API, like ForwardHandler. */
  onRequestStart(): void {}

  onResponseStart(_c: Dispatcher.DispatchController, status: number): void {
    if (status >= 200) this.status = status;
  }

  onResponseEnd(): void {
    this.record(this.slot, this.status, performance.now() - this.start);
    this.end();
  }

  onResponseError(): void {
    if (!this.dropped) this.record(this.slot, 502, performance.now() - this.start);
    this.end();
  }
}

export class Mirror {
  private inFlight = 0;
  private readonly settle = (): void => void this.inFlight--;

  constructor(
    private readonly maxInFlight: number,
    private readonly timeoutMs: number,
    private readonly record: Recorder,
    private readonly log: Logger,
  ) {}

  /**
   * Sends a copy of `req` to `slot`. Returns the stream the live request should read its body
   * from (a tee of `req`), or `req` itself when there is nothing to tee.
   */
  send(slot: Slot, req: IncomingMessage, headers: readonly string[], withBody: boolean): Readable {
    if (this.inFlight >= this.maxInFlight) {
      this.log.debug({ slot: slot.name }, 'mirror skipped a request: too many copies in flight');
      return req;
    }
    this.inFlight++;
    const handler = new DiscardHandler(slot.name, this.record, this.settle);
    const opts = {
      path: req.url ?? '/',
      method: req.method as Dispatcher.HttpMethod,
      headers: [...headers, MIRROR_HEADER, '1'],
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    };
    if (!withBody) {
      nextPool(slot).dispatch({ ...opts, body: null }, handler);
      return req;
    }
    const live = new PassThrough();
    const copy = new PassThrough();
    pipeline(req, live, () => undefined);
    req.on('data', (chunk: Buffer) => {
      if (copy.destroyed) return;
      if (copy.writableLength > MAX_LAG_BYTES) {
        handler.dropped = true;
        copy.destroy();
      } else copy.write(chunk);
    });
    req.once('end', () => copy.end());
    req.once('close', () => {
      if (req.complete) return;
      handler.dropped = true;
      copy.destroy();
    });
    nextPool(slot).dispatch({ ...opts, body: copy }, handler);
    return live;
  }
}
