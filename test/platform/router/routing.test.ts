import { afterEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../../src/core/index.js';
import { backend, cleanup, keepAlive, router, send, tally } from './harness.js';

afterEach(cleanup);

describe('router: choosing a slot', () => {
  it('splits traffic exactly by weight over every full round (smooth weighted round-robin)', async () => {
    const [blue, green, spare] = await Promise.all([backend('blue'), backend('green'), backend('green-2')]);
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [blue], weight: 3 }, green: { upstreams: [green, spare], weight: 1 } });
    const counts = await tally(url, 200, { agent: keepAlive() });
    expect(counts).toEqual({ blue: 150, green: 25, 'green-2': 25 });
  });

  it('spreads a 90/10 canary evenly instead of in bursts', async () => {
    const [stable, canary] = await Promise.all([backend('stable'), backend('canary')]);
    const { router: r, url } = await router();
    r.setSlots({ stable: { upstreams: [stable], weight: 90 }, canary: { upstreams: [canary], weight: 10 } });
    const agent = keepAlive();
    for (let round = 0; round < 3; round++) expect(await tally(url, 100, { agent })).toEqual({ stable: 90, canary: 10 });
  });

  it('sends a slot of weight 0 no normal traffic, but the header or cookie reaches it (preview routing)', async () => {
    const [blue, green] = await Promise.all([backend('blue'), backend('green')]);
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [blue], weight: 1 }, green: { upstreams: [green], weight: 0 } });
    const agent = keepAlive();
    expect(await tally(url, 20, { agent })).toEqual({ blue: 20 });
    expect(await tally(url, 5, { agent, headers: { 'x-slipway-slot': 'green' } })).toEqual({ green: 5 });
    expect(await tally(url, 5, { agent, headers: { cookie: 'theme=dark; slipway-slot=green; x=1' } })).toEqual({ green: 5 });
    expect(r.metrics().slots['green']?.requests).toBe(10);
  });

  it('refuses a header naming an unknown slot, while an unknown cookie falls back to the weights', async () => {
    const blue = await backend('blue');
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [blue], weight: 1 } });
    const refused = await send(url, { headers: { 'x-slipway-slot': 'preview' } });
    expect(refused.status).toBe(503);
    expect(refused.body).toContain("no slot 'preview' (slots: blue)");
    expect((await send(url, { headers: { cookie: 'slipway-slot=gone' } })).body).toBe('blue');
    expect(r.metrics().unrouted).toBe(1);
  });

  it('answers 503 while no slot has a weight', async () => {
    const { url } = await router();
    const a = await send(url);
    expect(a.status).toBe(503);
    expect(a.headers['x-slipway-router']).toBe('refused');
  });

  it('pins a client to its first slot with sticky sessions, and re-pins once that slot loses its weight', async () => {
    const [a, b] = await Promise.all([backend('a'), backend('b')]);
    const { router: r, url } = await router({ sticky: true });
    r.setSlots({ a: { upstreams: [a], weight: 1 }, b: { upstreams: [b], weight: 1 } });
    const first = await send(url);
    const cookie = first.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    expect(cookie).toBe(`slipway-sticky=${first.body}`);
    expect(await tally(url, 20, { headers: { cookie } })).toEqual({ [first.body]: 20 });
    const other = first.body === 'a' ? 'b' : 'a';
    r.setSlots({ a: { upstreams: [a], weight: first.body === 'a' ? 0 : 1 }, b: { upstreams: [b], weight: first.body === 'b' ? 0 : 1 } });
    const moved = await send(url, { headers: { cookie } });
    expect(moved.body).toBe(other);
    expect(moved.headers['set-cookie']?.[0]).toMatch(new RegExp(`^slipway-sticky=${other}; Path=/; HttpOnly`));
  });

  it('rejects a table it cannot route with an error naming the slot and the fix', async () => {
    const blue = await backend('blue');
    const { router: r } = await router();
    const bad = [
      () => r.setSlots({ blue: { upstreams: [blue], weight: -1 } }),
      () => r.setSlots({ blue: { upstreams: [blue], weight: 1.5 } }),
      () => r.setSlots({ blue: { upstreams: [], weight: 1 } }),
      () => r.setSlots({ 'bl ue': { upstreams: [blue], weight: 1 } }),
      () => r.setSlots({ blue: { upstreams: [blue], weight: 1 } }, { mirror: { slot: 'dark', share: 0.1 } }),
      () => r.setSlots({ blue: { upstreams: [blue], weight: 1 } }, { mirror: { slot: 'blue', share: 2 } }),
    ];
    for (const f of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isSlipwayError(err) && err.code === 'INVALID_INPUT').toBe(true);
    }
    expect(() => r.setSlots({ blue: { upstreams: [blue], weight: 1 } }, { mirror: { slot: 'dark', share: 0.1 } })).toThrow(
      "mirror slot 'dark' is not one of the slots (blue)",
    );
  });
});
