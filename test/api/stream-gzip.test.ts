/**
 * The stream of every event, gzip-compressed for a client that accepts it: the same events as
 * the plain stream, backlog and live, in far fewer bytes, and a clean end gunzip accepts.
 * Streams with a filter, and clients that do not accept gzip, get plain text.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineIdle, eventually, startHarness, type Harness } from './harness.js';
import { openStream, type SseMessage } from './sse.js';

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await startHarness({ sseHeartbeatMs: 50 });
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(() => h.close());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const shown = (ms: readonly SseMessage[]) => ms.map((m) => [m.id, m.event, JSON.parse(m.data) as object]);

describe('GET /api/v1/events/stream with Accept-Encoding: gzip', () => {
  it('sends the same events as the plain stream, compressed, and ends with a trailer gunzip accepts', async () => {
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1', backend: 'b:1' } } });
    await eventually(async () => ((await h.call('GET', '/api/v1/approvals')).json() as { approvals: unknown[] }).approvals[0]);
    const from = { 'last-event-id': '0' };
    const plain = await openStream(`${base}/api/v1/events/stream`, { ...auth(h.tokens.read), ...from });
    const gz = await openStream(`${base}/api/v1/events/stream`, { ...auth(h.tokens.read), ...from }, { gzip: true });
    expect(plain.encoding).toBeUndefined();
    expect(gz.encoding).toBe('gzip');

    // Live events after the backlog, and keep-alive comments, through both.
    for (let i = 2; i <= 4; i++) await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: `f:${i}`, backend: `b:${i}` } } });
    await engineIdle(h);
    const last = await h.slipway.store.lastEventSeq();
    const [a, b] = await Promise.all([plain.waitFor(last), gz.waitFor(last)]);
    expect(shown(b)).toStrictEqual(shown(a));
    expect(b.map((m) => Number(m.id))).toStrictEqual(Array.from({ length: last }, (_, i) => i + 1));
    await eventually(() => gz.comments.includes('keep-alive') || undefined);

    // The backlog, read in one page, in a fraction of the bytes (live batches this small compress less: one event is about half).
    const [plainAgain, gzAgain] = await Promise.all([
      openStream(`${base}/api/v1/events/stream?after=0`, auth(h.tokens.read)),
      openStream(`${base}/api/v1/events/stream?after=0`, auth(h.tokens.read), { gzip: true }),
    ]);
    await Promise.all([plainAgain.waitFor(last), gzAgain.waitFor(last)]);
    expect(gzAgain.wireBytes()).toBeLessThan(plainAgain.wireBytes() / 4);
    plainAgain.close();
    gzAgain.close();

    // A real client: fetch (as the CLI and the dashboard read the stream) asks for gzip itself and reads it.
    const res = await fetch(`${base}/api/v1/events/stream?after=0`, { headers: auth(h.tokens.read) });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('accept-encoding');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(`id: ${last}\n`)) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.startsWith('retry: 2000\n\nid: 1\n')).toBe(true);
    await reader.cancel();

    await h.app.close();
    await Promise.all([plain.ended, gz.ended]);
    expect(gz.decodeError()).toBeUndefined();
  });

  it('sends plain text to a stream with a filter, and to a client that refuses gzip', async () => {
    const filtered = await openStream(`${base}/api/v1/events/stream?project=shop`, auth(h.tokens.read), { gzip: true });
    const refused = await openStream(`${base}/api/v1/events/stream`, { ...auth(h.tokens.read), 'accept-encoding': 'gzip;q=0, identity' });
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1', backend: 'b:1' } } });
    const [f, r] = await Promise.all([filtered.waitFor(3), refused.waitFor(3)]);
    expect([filtered.encoding, refused.encoding]).toStrictEqual([undefined, undefined]);
    expect(shown(f)).toStrictEqual(shown(r));
    filtered.close();
    refused.close();
  });
});
