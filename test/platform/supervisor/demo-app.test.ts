/** examples/demo-app versions behave as their manifests say, under the supervisor. */
import { Agent, get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { demoSpec, getJson, supervisor } from './helpers.js';

describe('demo-app', () => {
  it('1.3.0-flaky answers exactly 1 in 5 requests with 500', async () => {
    const sup = supervisor();
    const flaky = await sup.start(await demoSpec('demo/dev/web/blue/flaky', '1.3.0-flaky'));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await getJson(flaky.url)).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(4);
    expect(statuses.filter((s) => s === 200)).toHaveLength(16);
  });

  it('1.2.0-slow adds its latency, and connections are kept alive between requests', async () => {
    const sup = supervisor();
    const slow = await sup.start(await demoSpec('demo/dev/web/blue/slow', '1.2.0-slow'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const reused: boolean[] = [];
      const started = Date.now();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = get(slow.url, { agent }, (res) => {
            reused.push(req.reusedSocket);
            res.resume().once('end', resolve);
          });
          req.once('error', reject);
        });
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(reused).toEqual([false, true, true]);
    } finally {
      agent.destroy();
    }
  });
});
