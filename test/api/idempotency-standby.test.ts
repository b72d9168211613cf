/**
 * A standby replica forwards a change's Idempotency-Key to the active replica, which keeps the
 * answer, and passes `Idempotent-Replayed` back: a change retried through a standby (the CLI does
 * so after a 503 `forwarded: true`) is applied once. The standby app (src/api/replicas/standby-app.ts)
 * runs in front of a real API server, both over HTTP on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStandbyApp } from '../../src/api/replicas/standby-app.js';
import { singleReplica } from '../../src/api/routes/replicas.js';
import type { Api } from '../../src/api/types.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
let standby: Api | undefined;
afterEach(async () => {
  await standby?.close();
  await h?.close();
  standby = h = undefined;
});

describe('Idempotency-Key through a standby replica', () => {
  it('reaches the active replica, whose replay comes back marked; the release runs once', async () => {
    h = await startHarness();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const active = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    standby = await buildStandbyApp({
      id: 'S',
      log: pino({ level: 'silent' }),
      store: h.slipway.store,
      openRead: false,
      target: () => ({ url: active, holder: 'A', expiresAt: Date.now() + 60_000 }),
      refresh: () => Promise.resolve(),
      status: singleReplica(),
      registry: new Registry(),
      forwardTimeoutMs: 10_000,
    });
    await standby.listen({ port: 0, host: '127.0.0.1' });
    const via = `http://127.0.0.1:${(standby.server.address() as AddressInfo).port}`;
    const post = () =>
      fetch(`${via}/api/v1/projects/shop/releases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h!.tokens.trigger}`, 'content-type': 'application/json', 'idempotency-key': 'via-standby' },
        body: JSON.stringify({ artifacts: { frontend: 'registry/frontend:5', backend: 'registry/backend:5' } }),
      });
    const first = await post();
    const firstText = await first.text();
    expect([first.status, first.headers.get('x-slipway-via'), first.headers.get('idempotent-replayed')]).toStrictEqual([201, 'S', null]);
    const again = await post();
    expect([again.status, again.headers.get('x-slipway-via'), again.headers.get('idempotent-replayed')]).toStrictEqual([201, 'S', 'true']);
    expect(await again.text()).toBe(firstText);
    const { releaseId, runId } = JSON.parse(firstText) as { releaseId: string; runId: string };
    expect((await h.slipway.store.listRuns({ releaseId })).filter((r) => r.stage === 'dev').map((r) => r.id)).toStrictEqual([runId]);
  });
});
