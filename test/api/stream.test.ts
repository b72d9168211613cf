/**
 * The live event stream over a real socket: events arrive as they commit; a client that
 * drops and reconnects with Last-Event-ID gets exactly what it missed, then the rest live.
 * Every stream, gzip-compressed for a client that accepts it, carries the same events in far
 * fewer bytes and ends cleanly; a client that refuses gzip gets text.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/index.js';
import type { Store } from '../../src/store/index.js';
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
const seqs = (ms: readonly SseMessage[]) => ms.map((m) => Number(m.id));
const shown = (ms: readonly SseMessage[]) => ms.map((m) => [m.id, m.event, JSON.parse(m.data) as object]);

/** Appends `bytes` worth of events (`size` bytes of padding each) straight into the store, in commits of 200. */
async function fillLog(store: Store, bytes: number, size = 4096): Promise<void> {
  const pad = 'x'.repeat(size);
  const empty = { releases: [], runs: [], stagePasses: [], artifactPasses: [], live: [], outboxSettle: [], outboxPut: [], timersPut: [], timersDelete: [] };
  for (let written = 0; written < bytes; ) {
    const events = Array.from({ length: 200 }, (_, i) => ({
      specversion: '1.0' as const,
      id: randomUUID(),
      source: '/projects/bulk',
      type: 'sh.slipway.test.bulk',
      time: new Date().toISOString(),
      datacontenttype: 'application/json' as const,
      project: 'bulk',
      data: { n: written + i, pad },
    }));
    await store.commit({ ...empty, events });
    written += events.length * pad.length;
  }
}

describe('GET /api/v1/events/stream', () => {
  it('resumes after a dropped connection with no gap and no duplicate', async () => {
    const start = await h.slipway.store.lastEventSeq();
    const first = await openStream(`${base}/api/v1/events/stream?project=shop`, auth(h.tokens.read));
    expect(first.status).toBe(200);
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1', backend: 'b:1' } } });
    const got = await first.waitFor(5);
    first.close();
    expect(Number(got[0]!.id)).toBe(start + 1);

    // While nobody listens the release goes on to wait in production; approve it after reconnecting.
    const approval = await eventually(async () => ((await h.call('GET', '/api/v1/approvals')).json() as { approvals: { taskId: string; runId: string }[] }).approvals[0]);
    const second = await openStream(`${base}/api/v1/events/stream?project=shop`, { ...auth(h.tokens.read), 'last-event-id': got.at(-1)!.id! });
    await h.call('POST', `/api/v1/tasks/${approval.taskId}/approve`, { body: {} });
    await eventually(() => second.messages.find((m) => m.event === 'sh.slipway.run.finished' && (JSON.parse(m.data) as { runid: string }).runid === approval.runId));
    await new Promise((r) => setTimeout(r, 100));
    second.close();

    const all = await h.slipway.store.events({ afterSeq: start, project: 'shop' });
    const received = [...got, ...second.messages];
    expect(seqs(received)).toStrictEqual(all.map((e) => e.seq));
    expect(received.map((m) => m.event)).toStrictEqual(all.map((e) => e.event.type));
    expect(received.map((m) => JSON.parse(m.data) as object)).toStrictEqual(all.map((e) => e.event));
  });

  it('filters by run, sends keep-alive comments, and ends when the server closes', async () => {
    const { runId } = (await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'a:1' } } })).json() as { runId: string };
    const stream = await openStream(`${base}/api/v1/events/stream?run=${runId}&after=0`, auth(h.tokens.admin));
    const msgs = await stream.waitFor(3);
    for (const m of msgs) expect((JSON.parse(m.data) as { runid: string }).runid).toBe(runId);
    await eventually(() => stream.comments.includes('keep-alive') || undefined);
    await h.app.close();
    await stream.ended;
  });

  it('a client 10 MB behind resumes from Last-Event-ID 0 and gets every event once, in order, live ones after', async () => {
    // Small events: more of them than the stream holds back while it sends the backlog (5000).
    await fillLog(h.slipway.store, 10.5 * 1024 * 1024, 1900);
    const stream = await openStream(`${base}/api/v1/events/stream`, { ...auth(h.tokens.read), 'last-event-id': '0' }, { paused: true });
    expect(stream.status).toBe(200);
    // Live events commit while the client has not read anything yet: they must come after the backlog.
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:live', backend: 'b:live' } } });
    await eventually(async () => ((await h.call('GET', '/api/v1/approvals')).json() as { approvals: unknown[] }).approvals[0]);
    // Read slowly at first: a little, then a pause, a few times over.
    for (let i = 0; i < 20; i++) {
      stream.resume();
      await new Promise((r) => setImmediate(r));
      stream.pause();
      await new Promise((r) => setTimeout(r, 20));
    }
    stream.resume();
    const last = await h.slipway.store.lastEventSeq();
    const got = await stream.waitFor(last, 60_000);
    stream.close();
    expect(seqs(got)).toStrictEqual(Array.from({ length: last }, (_, i) => i + 1));
    const all = await h.slipway.store.events({ afterSeq: 0 });
    expect(got.map((m) => (JSON.parse(m.data) as { id: string }).id)).toStrictEqual(all.map((e) => e.event.id));
    expect(got.at(-1)!.event).toMatch(/^sh\.slipway\./);
  }, 120_000);

  it('drops a client that stops reading, and keeps serving everyone else', async () => {
    await fillLog(h.slipway.store, 10.5 * 1024 * 1024);
    const strict = await buildServer({ slipway: h.slipway, openRead: false, sseLimits: { maxBufferedBytes: 256 * 1024, stallMs: 200 } });
    try {
      const url = await strict.listen({ port: 0, host: '127.0.0.1' });
      const stuck = await openStream(`${url}/api/v1/events/stream?after=0`, auth(h.tokens.read), { paused: true });
      expect(stuck.status).toBe(200);
      await eventually(async () => (await connections(strict)) === 0 || undefined, 20_000, 'the stuck client to be dropped');
      stuck.resume();
      await stuck.ended;
      expect(stuck.messages.length).toBeLessThan(await h.slipway.store.lastEventSeq());

      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const fresh = await openStream(`${url}/api/v1/events/stream?project=shop`, auth(h.tokens.read));
      await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:after', backend: 'b:after' } } });
      expect((await fresh.waitFor(3, 20_000)).map((m) => m.event)).toContain('sh.slipway.run.queued');
      fresh.close();
    } finally {
      await strict.close();
    }
  }, 120_000);

  it('refuses a stream without a token, or with a Last-Event-ID that is not a seq', async () => {
    expect((await openStream(`${base}/api/v1/events/stream`, {})).status).toBe(401);
    const bad = await openStream(`${base}/api/v1/events/stream`, { ...auth(h.tokens.read), 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
  });
});

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

  it('compresses a filtered stream on its own, and sends plain text to a client that refuses gzip', async () => {
    const filtered = await openStream(`${base}/api/v1/events/stream?project=shop`, auth(h.tokens.read), { gzip: true });
    const fromStart = await openStream(`${base}/api/v1/events/stream?project=shop&after=0`, auth(h.tokens.read), { gzip: true });
    const refused = await openStream(`${base}/api/v1/events/stream?project=shop`, { ...auth(h.tokens.read), 'accept-encoding': 'gzip;q=0, identity' });
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1', backend: 'b:1' } } });
    const [f, b, r] = await Promise.all([filtered.waitFor(3), fromStart.waitFor(3), refused.waitFor(3)]);
    expect([filtered.encoding, fromStart.encoding, refused.encoding]).toStrictEqual(['gzip', 'gzip', undefined]);
    expect(shown(f)).toStrictEqual(shown(r));
    expect(shown(b).slice(0, 3)).toStrictEqual(shown(r).slice(0, 3));
    // A run's own stream, compressed, ends with a trailer gunzip accepts when the server stops.
    const runId = f.map((m) => (JSON.parse(m.data) as { runid?: string }).runid).find((id) => id !== undefined);
    expect(runId).toBeDefined();
    const oneRun = await openStream(`${base}/api/v1/events/stream?run=${runId}&after=0`, auth(h.tokens.read), { gzip: true });
    const [first] = await oneRun.waitFor(1);
    expect(oneRun.encoding).toBe('gzip');
    expect((JSON.parse(first!.data) as { runid: string }).runid).toBe(runId);
    refused.close();
    await h.app.close();
    await Promise.all([filtered.ended, fromStart.ended, oneRun.ended]);
    expect([filtered.decodeError(), fromStart.decodeError(), oneRun.decodeError()]).toStrictEqual([undefined, undefined, undefined]);
  });
});

function connections(app: { server: { getConnections(cb: (err: Error | null, n: number) => void): void } }): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}
