import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, cleanup, keepAlive, router, send, tally, until } from './harness.js';

afterEach(cleanup);

describe('router: mirroring (dark launches)', () => {
  it('sends the given share of live requests to the dark slot as well, and the client only sees the live answers', async () => {
    const [live, dark] = await Promise.all([backend('live'), backend('dark')]);
    const { router: r, url } = await router();
    r.setSlots({ live: { upstreams: [live], weight: 1 }, dark: { upstreams: [dark], weight: 0 } }, { mirror: { slot: 'dark', share: 0.25 } });
    expect(await tally(url, 40, { agent: keepAlive() })).toEqual({ live: 40 });
    await until(() => r.metrics().slots['dark']?.requests === 10, 5000, '10 mirrored requests to finish');
    expect(dark.seen).toHaveLength(10);
    expect(dark.seen.every((h) => h['x-slipway-mirror'] === '1')).toBe(true);
    expect(live.seen.some((h) => h['x-slipway-mirror'] !== undefined)).toBe(false);
  });

  it('never lets the dark slot\'s errors or absence reach the client, but counts its errors', async () => {
    const live = await backend('live');
    const failing = await backend('failing', (_req, res) => res.writeHead(500).end('broken'));
    const gone = await backend('gone');
    await gone.close();
    const { router: r, url } = await router();
    const agent = keepAlive();
    for (const dark of [failing, gone]) {
      r.setSlots({ live: { upstreams: [live], weight: 1 }, dark: { upstreams: [dark], weight: 0 } }, { mirror: { slot: 'dark', share: 1 } });
      const answers = await Promise.all(Array.from({ length: 20 }, () => send(url, { agent })));
      expect(answers.every((a) => a.status === 200 && a.body === 'live')).toBe(true);
    }
    await until(() => r.metrics().slots['dark']?.requests === 40, 5000, 'the mirror errors to be counted');
    expect(r.metrics().slots['live']).toMatchObject({ requests: 40, errors: 0 });
    expect(r.metrics().slots['dark']).toMatchObject({ requests: 40, errors: 40, codes: { '5xx': 40 } });
  });

  it('keeps at most mirrorInFlight copies waiting on a hanging dark slot and times them out', async () => {
    const live = await backend('live');
    const hanging = await backend('hanging', () => undefined);
    const { router: r, url } = await router({ mirrorInFlight: 4, mirrorTimeoutMs: 1500 });
    r.setSlots({ live: { upstreams: [live], weight: 1 }, dark: { upstreams: [hanging], weight: 0 } }, { mirror: { slot: 'dark', share: 1 } });
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(url, { agent: keepAlive() })));
    expect(answers.every((a) => a.status === 200 && a.body === 'live')).toBe(true);
    await until(() => r.metrics().slots['dark']?.errors === 4, 5000, 'the 4 waiting copies to time out');
    expect(hanging.seen).toHaveLength(4);
  });

  it('copies a request body to the dark slot while the live one streams it', async () => {
    const bodies: Record<string, string[]> = { live: [], dark: [] };
    const reader = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        bodies[name]!.push(text);
        res.end(name);
      });
    };
    const [live, dark] = await Promise.all([backend('live', reader('live')), backend('dark', reader('dark'))]);
    const { router: r, url } = await router();
    r.setSlots({ live: { upstreams: [live], weight: 1 }, dark: { upstreams: [dark], weight: 0 } }, { mirror: { slot: 'dark', share: 1 } });
    const body = 'x'.repeat(200_000);
    const a = await send(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    expect(a.body).toBe('live');
    await until(() => bodies['dark']!.length === 1, 5000, 'the mirrored body');
    expect(bodies['live']).toEqual([body]);
    expect(bodies['dark']).toEqual([body]);
  });

  it('does not mirror preview requests', async () => {
    const [live, dark, preview] = await Promise.all([backend('live'), backend('dark'), backend('preview')]);
    const { router: r, url } = await router();
    r.setSlots(
      { live: { upstreams: [live], weight: 1 }, dark: { upstreams: [dark], weight: 0 }, preview: { upstreams: [preview], weight: 0 } },
      { mirror: { slot: 'dark', share: 1 } },
    );
    expect(await tally(url, 5, { headers: { 'x-slipway-slot': 'preview' } })).toEqual({ preview: 5 });
    await send(url);
    await until(() => r.metrics().slots['dark']?.requests === 1, 5000, 'one mirrored request');
    expect(dark.seen).toHaveLength(1);
  });
});
