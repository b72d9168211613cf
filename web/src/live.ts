/**
 * One connection to the server's event stream per page, shared by every view on it.
 * EventSource cannot send an Authorization header, so this reads the stream with fetch
 * and eventsource-parser (as the CLI does). A dropped connection is said on screen and
 * resumed with Last-Event-ID set to the last event received: the server then sends what
 * was missed before going live again, so no update is lost.
 */
import { createParser } from 'eventsource-parser';
import { authHeaders } from './api.js';
import { token } from './auth.js';
import { signal } from './signal.js';
import type { CloudEvent } from './types.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

export const liveStatus = signal<LiveStatus>('connecting');
/** Why the last attempt failed, for the banner. */
export const liveProblem = signal<string | null>(null);

type Listener = (events: CloudEvent[]) => void;
const listeners = new Set<Listener>();
let lastSeq: number | undefined;
let controller: AbortController | undefined;

/** Calls `fn` with each batch of events that arrives; returns the unsubscribe. */
export function onEvents(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Resolves once the stream first opened (or was refused), so what a page loads after it
 * misses no event. Reconnects resume from the last event, so it is never reset.
 */
let markOpen: () => void = () => undefined;
const opened = new Promise<void>((r) => (markOpen = r));
export function whenLive(): Promise<void> {
  return opened;
}

export function startLive(): void {
  controller?.abort();
  const c = new AbortController();
  controller = c;
  void loop(c.signal, markOpen);
}

// A new token may see what the old one could not: start over.
token.subscribe(() => startLive());

async function loop(signal: AbortSignal, markOpen: () => void): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch('/api/v1/events/stream', {
        headers: { accept: 'text/event-stream', ...authHeaders(), ...(lastSeq !== undefined ? { 'last-event-id': String(lastSeq) } : {}) },
        signal,
      });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        liveProblem.set(body.message ?? `the event stream answered ${res.status}`);
        if (res.status === 401 || res.status === 403) {
          liveStatus.set('off');
          markOpen();
          return;
        }
        throw new Error(liveProblem.get() ?? 'stream refused');
      }
      failures = 0;
      liveStatus.set('live');
      liveProblem.set(null);
      markOpen();
      await read(res.body, signal);
    } catch (e) {
      if (signal.aborted) return;
      liveProblem.set(e instanceof Error ? e.message : String(e));
    }
    if (signal.aborted) return;
    liveStatus.set('reconnecting');
    failures++;
    await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 5000)));
  }
}

async function read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
  let batch: CloudEvent[] = [];
  const parser = createParser({
    onEvent: (m) => {
      if (!m.id) return;
      const seq = Number(m.id);
      if (lastSeq !== undefined && seq <= lastSeq) return;
      lastSeq = seq;
      batch.push(JSON.parse(m.data) as CloudEvent);
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(decoder.decode(value, { stream: true }));
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      for (const fn of [...listeners]) fn(out);
    }
  }
}
