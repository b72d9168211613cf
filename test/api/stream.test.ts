/**
 * The live event stream over a real socket: events arrive as they commit; a client that
 * drops and reconnects with Last-Event-ID gets exactly what it missed, then the rest live.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from './harness.js';
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

  it('refuses a stream without a token, or with a Last-Event-ID that is not a seq', async () => {
    expect((await openStream(`${base}/api/v1/events/stream`, {})).status).toBe(401);
    const bad = await openStream(`${base}/api/v1/events/stream`, { ...auth(h.tokens.read), 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
  });
});
