/**
 * The writing end of one server-sent-events stream, paced by its reader. Chunks go to the
 * socket only while it takes them (`write` returning true); the rest waits here, in order,
 * until 'drain'. A reader is dropped only when it stops reading: the socket has taken
 * nothing for `stallMs`, or more than `maxBufferedBytes` have waited here for `stallMs`.
 * The client then resumes with Last-Event-ID, which loses nothing.
 */
import type { ServerResponse } from 'node:http';

export interface SseLimits {
  /** Bytes that may wait for a reader that falls behind the live events (default 8 MiB). */
  maxBufferedBytes: number;
  /** How long a reader may take nothing, or stay over `maxBufferedBytes`, before it is dropped (default 30 s). */
  stallMs: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = { maxBufferedBytes: 8 * 1024 * 1024, stallMs: 30_000 };

/** Checks per `stallMs`: a reader is dropped after this many checks in a row found it stuck. */
const CHECKS = 5;

export class SseSink {
  private readonly queue: (string | Buffer)[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private stalledChecks = 0;
  private overChecks = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly onDrain = () => {
    this.waitingForDrain = false;
    this.stalledChecks = 0;
    this.flush();
  };
  private readonly onClose = () => this.stop();

  constructor(
    private readonly raw: ServerResponse,
    private readonly limits: SseLimits,
    private readonly onDrop: (why: string) => void,
  ) {
    this.timer = setInterval(() => this.check(), Math.max(1, Math.floor(limits.stallMs / CHECKS)));
    raw.on('drain', this.onDrain);
    raw.on('close', this.onClose);
  }

  get closed(): boolean {
    return this.raw.destroyed || this.raw.writableEnded;
  }

  /** Chunks sent and not yet handed to the socket. */
  get queued(): number {
    return this.queue.length;
  }

  /** A Buffer shared by many streams is written as it is (never copied or changed here). */
  send(chunk: string | Buffer): void {
    if (this.closed) return;
    // The common case: nothing waits, the socket takes it now, no bookkeeping.
    if (!this.waitingForDrain && this.queue.length === 0) {
      if (!this.raw.write(chunk)) this.waitingForDrain = true;
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += Buffer.byteLength(chunk);
    this.flush();
  }

  /** Resolves once the socket has taken everything sent so far, or the stream closed. */
  idle(): Promise<void> {
    if (this.closed || (!this.waitingForDrain && this.queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    clearInterval(this.timer);
    this.raw.off('drain', this.onDrain);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.wakeIdle();
  }

  private flush(): void {
    while (!this.waitingForDrain && this.queue.length > 0 && !this.closed) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= Buffer.byteLength(chunk);
      if (!this.raw.write(chunk)) this.waitingForDrain = true;
    }
    if (!this.waitingForDrain && this.queue.length === 0) this.wakeIdle();
  }

  private wakeIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private check(): void {
    if (this.closed) return this.stop();
    this.stalledChecks = this.waitingForDrain ? this.stalledChecks + 1 : 0;
    this.overChecks = this.queuedBytes > this.limits.maxBufferedBytes ? this.overChecks + 1 : 0;
    const seconds = this.limits.stallMs / 1000;
    if (this.stalledChecks > CHECKS) this.drop(`the reader took nothing for ${seconds} s`);
    else if (this.overChecks > CHECKS) this.drop(`more than ${this.limits.maxBufferedBytes} bytes waited for the reader for ${seconds} s`);
  }

  private drop(why: string): void {
    this.stop();
    this.onDrop(why);
    this.raw.destroy();
  }
}
