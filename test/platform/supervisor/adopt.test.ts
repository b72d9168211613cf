/**
 * A Slipway restart: the first supervisor lets go of its processes (stopAll with
 * leaveRunning, as a stopping Slipway does) and a second one on the same data dir adopts
 * what still runs and starts again what does not, never running two of one instance.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crash, demoSpec, getJson, groupsOf, nextEvent, supervisor, tempDir } from './helpers.js';

describe('supervisor after a Slipway restart', () => {
  it('adopts the instances still running and starts again the ones that died meanwhile', async () => {
    const dataDir = tempDir();
    const before = supervisor({ dataDir });
    const a = await before.start(await demoSpec('shop/prod/web/stable/r1', '1.0.0'));
    const b = await before.start(await demoSpec('shop/prod/web/canary/r2', '1.1.0'));
    await before.stopAll({ leaveRunning: true });
    await crash(b.pid!); // died while Slipway was down

    const after = supervisor({ dataDir });
    const bReady = nextEvent(after, 'instance:ready', ({ instance }) => instance.id === b.id);
    const report = await after.adopt();

    expect(report).toEqual({ adopted: [a.id], restarted: [b.id], stopped: [] });
    expect(after.get(a.id)).toMatchObject({ status: 'ready', pid: a.pid, port: a.port, adopted: true });
    expect((await getJson(a.url)).body.version).toBe('1.0.0');
    expect(groupsOf(a.id)).toEqual([a.pid]);

    const back = (await bReady).instance;
    expect(back).toMatchObject({ port: b.port, adopted: false, restarts: 1 });
    expect(back.pid).not.toBe(b.pid);
    expect((await getJson(b.url)).body.version).toBe('1.1.0');
    expect(groupsOf(b.id)).toEqual([back.pid]);

    // Adopting again, or starting the same id, changes nothing.
    expect(await after.adopt()).toEqual({ adopted: [], restarted: [], stopped: [] });
    expect((await after.start(await demoSpec('shop/prod/web/stable/r1', '1.0.0'))).pid).toBe(a.pid);
    expect(groupsOf(a.id)).toEqual([a.pid]);
  });

  it('an adopted process that dies is noticed by polling and restarted', async () => {
    const dataDir = tempDir();
    const before = supervisor({ dataDir });
    const a = await before.start(await demoSpec('shop/prod/web/stable/r1', '1.0.0'));
    await before.stopAll({ leaveRunning: true });
    const after = supervisor({ dataDir, backoff: { initialMs: 50 } });
    expect((await after.adopt()).adopted).toEqual([a.id]);

    const exited = nextEvent(after, 'instance:exited');
    const restarted = nextEvent(after, 'instance:restarted');
    const ready = nextEvent(after, 'instance:ready');
    await crash(a.pid!);

    expect(await exited).toMatchObject({ expected: false, code: null, instance: { id: a.id, adopted: true } });
    expect((await restarted).delayMs).toBe(50);
    const back = (await ready).instance;
    expect(back).toMatchObject({ status: 'ready', adopted: false, restarts: 1, port: a.port });
    expect((await getJson(a.url)).body.version).toBe('1.0.0');
    const state = JSON.parse(readFileSync(after.stateFile, 'utf8')) as { instances: { id: string; pid: number }[] };
    expect(state.instances).toMatchObject([{ id: a.id, pid: back.pid }]);
  });

  it('a first start() on a restarted supervisor adopts the recorded instance instead of starting a duplicate', async () => {
    const dataDir = tempDir();
    const before = supervisor({ dataDir });
    const spec = await demoSpec('shop/prod/web/stable/r1', '1.0.0');
    const a = await before.start(spec);
    await before.stopAll({ leaveRunning: true });

    const after = supervisor({ dataDir });
    const again = await after.start(spec);

    expect(again).toMatchObject({ pid: a.pid, port: a.port, adopted: true });
    expect(groupsOf(a.id)).toEqual([a.pid]);
  });

  it('an instance being retired when Slipway stopped is stopped, not adopted', async () => {
    const dataDir = tempDir();
    const before = supervisor({ dataDir });
    const a = await before.start(await demoSpec('shop/prod/web/stable/r1', '1.0.0'));
    const retiring = before.retire(a.id, { drainMs: 60_000 });
    await before.stopAll({ leaveRunning: true });
    void retiring.catch(() => undefined);

    const after = supervisor({ dataDir });
    expect(await after.adopt()).toEqual({ adopted: [], restarted: [], stopped: [a.id] });
    expect(groupsOf(a.id)).toEqual([]);
    expect(after.list()).toEqual([]);
  });
});
