import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/index.js';
import { FakeClock, StoreHealth } from '../../src/engine/index.js';

/** A store whose one read answers or fails as the test says, and a log the test reads. */
function setup() {
  const store = { down: false, lastEventSeq: async () => (store.down ? Promise.reject(new SlipwayError('STORE', 'the PostgreSQL store is unavailable (ECONNREFUSED)')) : 7) };
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string }), cb()) });
  const clock = new FakeClock();
  const health = new StoreHealth({ store, clock, log: pino({ level: 'info' }, sink), retryMs: 1_000 });
  return { store, lines, clock, health };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('store health', () => {
  it('goes down on a STORE failure with one log line, rechecks every second, and says when it is back', async () => {
    const { store, lines, clock, health } = setup();
    expect(await health.readiness()).toEqual({ ok: true });
    store.down = true;
    health.failed(new SlipwayError('STORE', 'commit failed: Connection terminated'));
    health.failed(new SlipwayError('STORE', 'commit failed again'));
    expect(health.current).toBe('down');
    expect(await health.readiness()).toMatchObject({ ok: false, reason: 'commit failed again', sinceMs: clock.now() });
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await settle();
    }
    expect(health.current).toBe('down');
    expect(lines.map((l) => l.msg).filter((m) => m.startsWith('store'))).toEqual([expect.stringMatching(/^store unavailable \(commit failed: Connection terminated\); retrying every 1 s/)]);
    store.down = false;
    clock.advance(1_000);
    await settle();
    expect(health.current).toBe('up');
    expect(lines.at(-1)?.msg).toBe('store back after 4.0 s; paused work resumes');
    expect(await health.readiness()).toEqual({ ok: true });
    health.close();
  });

  it('a readiness check that fails marks the store down; other errors than STORE are not the store being down', async () => {
    const { store, health } = setup();
    health.failed(new SlipwayError('INVALID_INPUT', 'a bad input'));
    health.failed(new Error('a bug'));
    expect(health.current).toBe('up');
    store.down = true;
    expect(await health.readiness()).toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
    expect(health.current).toBe('down');
    health.close();
  });
});
