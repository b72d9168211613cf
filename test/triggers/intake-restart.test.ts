/**
 * The intake's promise across a stop at the worst moment: the engine committed the release
 * and its run, and the process stopped before the delivery row recorded them. The sender
 * sends the delivery again to a restarted server: it is answered with the release made
 * before, and nothing is created twice. A stop before the trigger loses nothing either.
 * Real SQLite on a temp directory, closed and opened again as a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/main.js';
import { inputIdOf } from '../../src/triggers/webhooks/index.js';
import type { Plan } from '../../src/triggers/index.js';
import { removeDir, tempDir } from './support/hook-server.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const SHOP = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [backend]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
`;

const plan: Plan = { kind: 'release', artifacts: { backend: 'registry.example/backend:7.0.0' }, provenance: { source: 'webhook', commit: 'f'.repeat(40), commitTime: 1_775_000_000_000 } };

let dir: string | undefined;
afterEach(async () => {
  if (dir) await removeDir(dir);
  dir = undefined;
});

async function open(d: string): Promise<Slipway> {
  const s = await openSlipway({ dataDir: d, ...(await storeOptionFor(d)) });
  await s.addPipelineText(SHOP, 'slipway.yaml', d);
  return s;
}

describe('a delivery cut off by a stop', () => {
  it('after the release was committed: answered 200 with that release after the restart, no second run', async () => {
    dir = await tempDir();
    const delivery = { project: 'shop', source: 'artifact' as const, id: 'dlv-cut-after-commit' };
    let s = await open(dir);
    const now = Date.now();
    // What the intake had done when the process stopped: the row as received, the trigger applied.
    await s.store.addDelivery({ ...delivery, event: 'artifact', receivedAt: now, updatedAt: now, outcome: 'received', status: 202 });
    const d = await s.engine.apply({ type: 'trigger', id: inputIdOf(delivery), project: 'shop', artifacts: plan.kind === 'release' ? plan.artifacts : {}, automated: true });
    await s.close();

    s = await open(dir);
    const a = await s.webhooks.intake.receive({ ...delivery, event: 'artifact' }, () => plan);
    expect(a).toMatchObject({ status: 200, duplicate: true, releaseId: d.value!.releaseId, runId: d.value!.runId });
    expect(await s.store.listRuns({ project: 'shop', limit: 10 })).toHaveLength(1);
    expect(await s.store.getDelivery('shop', 'artifact', delivery.id)).toMatchObject({ outcome: 'released', runId: d.value!.runId });
    // And from then on it is a plain repeat.
    const again = await s.webhooks.intake.receive({ ...delivery, event: 'artifact' }, () => plan);
    expect(again).toMatchObject({ status: 200, runId: d.value!.runId });
    expect(await s.store.listRuns({ project: 'shop', limit: 10 })).toHaveLength(1);
    await s.close();
  });

  it('before the trigger: the repeat after the restart makes the release, once', async () => {
    dir = await tempDir();
    const delivery = { project: 'shop', source: 'artifact' as const, id: 'dlv-cut-before-trigger' };
    let s = await open(dir);
    const now = Date.now();
    await s.store.addDelivery({ ...delivery, event: 'artifact', receivedAt: now, updatedAt: now, outcome: 'received', status: 202 });
    await s.close();

    s = await open(dir);
    const a = await s.webhooks.intake.receive({ ...delivery, event: 'artifact' }, () => plan);
    expect(a).toMatchObject({ status: 202, duplicate: false, outcome: 'released' });
    expect(await s.store.listRuns({ project: 'shop', limit: 10 })).toHaveLength(1);
    expect((await s.store.getRelease(a.releaseId!))?.provenance).toMatchObject({ source: 'webhook', delivery: delivery.id });
    await s.close();
  });
});
