import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/platform/free-port.js';
import { NginxTarget } from '../../src/platform/nginx/index.js';
import type { Backend } from './backends.js';
import { backend, eventually, whoAnswers } from './backends.js';

const haveNginx = (() => {
  try {
    execFileSync(existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const key = { project: 'shop', stage: 'prod', service: 'api' };
let dir: string;
let target: NginxTarget;
let backends: Backend[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-nginx-'));
  target = new NginxTarget({ dataDir: dir, healthTimeoutMs: 1500 });
});
afterEach(async () => {
  await target.close();
  for (const b of backends) await b.close();
  backends = [];
  await rm(dir, { recursive: true, force: true });
});

const version = (b: Backend, releaseId: string) => ({ releaseId, artifact: b.address, baseDir: dir });

describe.skipIf(!haveNginx)('nginx deploy target (skipped where Debian nginx is not installed)', () => {
  it('routes by weights, previews a 0-weight slot by header or cookie, swaps, and counts traffic per slot', async () => {
    const blue = await backend('blue');
    const green = await backend('green');
    backends.push(blue, green);
    await target.start();
    await target.deploy(key, 'blue', version(blue, 'rel-1'));
    await target.setWeights(key, { blue: 100 });
    const { endpoint } = (await target.status(key))!;
    // The endpoint takes connections as soon as the target says it is set (its reload waited for the new port).
    expect(['blue', 'status 502', 'status 503']).toContain(await whoAnswers(endpoint));
    expect(await eventually(() => whoAnswers(endpoint), (w) => w === 'blue')).toBe('blue');

    await target.deploy(key, 'green', version(green, 'rel-2'));
    expect(await eventually(() => whoAnswers(endpoint, { 'x-slipway-slot': 'green' }), (w) => w === 'green')).toBe('green');
    expect(await eventually(() => whoAnswers(endpoint, { cookie: 'slipway-slot=green' }), (w) => w === 'green')).toBe('green');
    expect(await whoAnswers(endpoint)).toBe('blue');

    await target.setWeights(key, { green: 100 });
    expect(await eventually(() => whoAnswers(endpoint), (w) => w === 'green')).toBe('green');
    // Let the access log catch up (nginx writes a line just after its answer; a loaded machine
    // may delay it), then count: every request green answered is counted for green. Settled
    // means unchanged over 5 readings 100 ms apart.
    const settle = async () => {
      let last = -1;
      for (let same = 0; same < 5; ) {
        await new Promise((r) => setTimeout(r, 100));
        const n = target.traffic(key, 'green').requests;
        same = n === last ? same + 1 : 0;
        last = n;
      }
      return last;
    };
    const before = await settle();
    let answered = 0;
    for (let i = 0; i < 10; i++) if ((await whoAnswers(endpoint)) === 'green') answered++;
    expect(answered).toBeGreaterThan(0);
    const after = await eventually(async () => target.traffic(key, 'green').requests, (n) => n >= before + answered);
    expect(after - before).toBe(answered);

    expect((await target.status(key))!.slots.map((s) => [s.slot, s.weight])).toEqual([
      ['blue', 0],
      ['green', 100],
    ]);
    await target.retire(key, 'blue');
    expect((await target.status(key))!.slots.map((s) => s.slot)).toEqual(['green']);
  });

  it('a weight change is in force when setWeights returns: no request after it reaches a worker of the previous configuration', async () => {
    const blue = await backend('blue');
    const green = await backend('green');
    backends.push(blue, green);
    await target.start();
    await target.deploy(key, 'blue', version(blue, 'rel-1'));
    await target.deploy(key, 'green', version(green, 'rel-2'));
    await target.setWeights(key, { blue: 100 });
    const { endpoint } = (await target.status(key))!;
    expect(await eventually(() => whoAnswers(endpoint), (w) => w === 'blue')).toBe('blue');
    // Each flip is followed at once by requests on new connections: a worker still running the
    // previous configuration (a reload is asynchronous in nginx) would answer with the old slot.
    const wrong: string[] = [];
    for (let flip = 0; flip < 8; flip++) {
      const want = flip % 2 === 0 ? 'green' : 'blue';
      await target.setWeights(key, { [want]: 100 });
      const answers = await Promise.all(Array.from({ length: 6 }, () => whoAnswers(endpoint)));
      for (const a of answers) if (a !== want) wrong.push(`flip ${flip}: wanted ${want}, got ${a}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives a new service another port when the one it chose was taken before nginx could bind it', async () => {
    // Another process listens on the port the target chooses first (CI met this: a port free when
    // chosen, taken by a parallel test before nginx's reload bound it, and the reload refused).
    const squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const taken = (squatter.address() as AddressInfo).port;
    const chosen: number[] = [];
    target = new NginxTarget({ dataDir: dir, healthTimeoutMs: 1500, choosePort: async () => { const p = chosen.length === 0 ? taken : await freePort(); chosen.push(p); return p; } });
    try {
      const blue = await backend('blue');
      backends.push(blue);
      await target.start();
      await target.deploy(key, 'blue', version(blue, 'rel-1'));
      await target.setWeights(key, { blue: 100 });
      const { endpoint } = (await target.status(key))!;
      expect(chosen[0]).toBe(taken);
      expect(chosen.length).toBeGreaterThanOrEqual(2);
      expect(endpoint).toBe(`http://127.0.0.1:${chosen.at(-1)}`);
      expect(await eventually(() => whoAnswers(endpoint), (w) => w === 'blue')).toBe('blue');
    } finally {
      squatter.close();
    }
  });

  it('refuses an address that is not healthy, routing nothing to it', async () => {
    await target.start();
    await expect(target.deploy(key, 'blue', { releaseId: 'r', artifact: '127.0.0.1:1', baseDir: dir })).rejects.toThrow(/is not healthy/);
    expect(await target.status(key)).toBeUndefined();
  });
});
