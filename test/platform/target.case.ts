/**
 * One contract for every DeployTarget (the local platform, nginx): the same cases, each
 * target bringing versions of the demo app its own way (a deployable directory, or the
 * address of a process the test started).
 */
import { get } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployTarget, Version } from '../../src/platform/index.js';
import { eventually } from './backends.js';

export interface TargetHarness {
  target: DeployTarget;
  /** A version of the demo app: `1.0.0`, `1.1.0`, or `unhealthy` (its health check fails). */
  version(v: '1.0.0' | '1.1.0' | 'unhealthy'): Promise<Version>;
  close(): Promise<void>;
}

const key = { project: 'shop', stage: 'prod', service: 'web' };

function versionAt(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as { version: string }).version : `status ${res.statusCode}`);
        } catch {
          resolve(`status ${res.statusCode}`);
        }
      });
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
  });
}

export function deployTargetContract(name: string, make: () => Promise<TargetHarness>): void {
  describe(`DeployTarget contract: ${name}`, () => {
    let h: TargetHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    it('deploys a version that takes no traffic until weighted, then serves it', async () => {
      await h.target.deploy(key, 'blue', await h.version('1.0.0'));
      const st = (await h.target.status(key))!;
      expect(st.slots).toMatchObject([{ slot: 'blue', weight: 0, state: 'ready' }]);
      await h.target.setWeights(key, { blue: 100 });
      expect(await eventually(() => versionAt(st.endpoint), (v) => v === '1.0.0')).toBe('1.0.0');
    });

    it('previews a staged version by header, swaps all traffic in one step, retires the old one', async () => {
      await h.target.deploy(key, 'blue', await h.version('1.0.0'));
      await h.target.setWeights(key, { blue: 100 });
      const { endpoint } = (await h.target.status(key))!;
      await h.target.deploy(key, 'green', await h.version('1.1.0'));
      expect(await eventually(() => versionAt(endpoint, { 'x-slipway-slot': 'green' }), (v) => v === '1.1.0')).toBe('1.1.0');
      expect(await versionAt(endpoint)).toBe('1.0.0');
      await h.target.setWeights(key, { green: 100 });
      // In force when setWeights returns (nginx: no worker of the previous configuration still accepts).
      for (let i = 0; i < 5; i++) expect(await versionAt(endpoint)).toBe('1.1.0');
      await h.target.retire(key, 'blue');
      expect((await h.target.status(key))!.slots.map((s) => [s.slot, s.weight])).toEqual([['green', 100]]);
      for (let i = 0; i < 5; i++) expect(await versionAt(endpoint)).toBe('1.1.0');
    });

    it('refuses a version that is not healthy; what served before keeps serving', async () => {
      await h.target.deploy(key, 'blue', await h.version('1.0.0'));
      await h.target.setWeights(key, { blue: 100 });
      const { endpoint } = (await h.target.status(key))!;
      await expect(h.target.deploy(key, 'green', await h.version('unhealthy'))).rejects.toThrow(/health|ready/i);
      expect((await h.target.status(key))!.slots.map((s) => s.slot)).toEqual(['blue']);
      for (let i = 0; i < 5; i++) expect(await versionAt(endpoint)).toBe('1.0.0');
    });

    it('counts the requests each slot served', async () => {
      await h.target.deploy(key, 'blue', await h.version('1.0.0'));
      await h.target.setWeights(key, { blue: 100 });
      const { endpoint } = (await h.target.status(key))!;
      await eventually(() => versionAt(endpoint), (v) => v === '1.0.0');
      const before = await eventually(async () => h.target.traffic(key, 'blue').requests, (n) => n > 0);
      let served = 0;
      for (let i = 0; i < 12; i++) if ((await versionAt(endpoint)) === '1.0.0') served++;
      const after = await eventually(async () => h.target.traffic(key, 'blue').requests, (n) => n >= before + served);
      expect(after - before).toBeGreaterThanOrEqual(served);
      expect(h.target.traffic(key, 'green').requests).toBe(0);
    });
  });
}
