/**
 * Follows the server's event stream (server-sent events), reconnecting after a dropped
 * connection from the last event seen (Last-Event-ID), so nothing is missed or repeated.
 */
import { createParser } from 'eventsource-parser';
import type { SlipwayEvent } from '../core/index.js';
import type { Client } from './client.js';

export interface StreamedEvent {
  seq: number;
  event: SlipwayEvent;
}

export async function* followEvents(client: Client, query: Record<string, string | undefined>, signal: AbortSignal, after?: number): AsyncGenerator<StreamedEvent> {
  let last = after;
  let failures = 0;
  while (!signal.aborted) {
    const queue: StreamedEvent[] = [];
    try {
      const res = await fetch(client.url('/api/v1/events/stream', query), {
        headers: client.headers({ accept: 'text/event-stream', ...(last !== undefined ? { 'last-event-id': String(last) } : {}) }),
        signal,
      });
      if (!res.ok || !res.body) {
        const body = await res.text().catch(() => '');
        throw new Error(`the event stream answered ${res.status}: ${body.slice(0, 200)}`);
      }
      failures = 0;
      const parser = createParser({
        onEvent: (m) => {
          if (!m.id) return;
          queue.push({ seq: Number(m.id), event: JSON.parse(m.data) as SlipwayEvent });
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        while (queue.length > 0) {
          const next = queue.shift()!;
          if (last !== undefined && next.seq <= last) continue;
          last = next.seq;
          yield next;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (++failures > 5) throw e;
    }
    // The connection dropped: wait a little, then resume after the last event seen.
    await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** failures, 5000)));
  }
}
