import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSlipway } from '../../src/main.js';
import { storeOptionFor } from './support/e2e-store.js';

const yaml = `apiVersion: "spec.keptn.sh/0.2.0"
kind: "Shipyard"
metadata: {name: "keptn-like"}
spec:
  stages:
    - name: "production"
      sequences:
        - name: "delivery"
          tasks:
            - name: "release"
`;

describe('outside kinds', () => {
  it('a kind named in outsideKinds is left to outside executors even though Slipway has a built-in one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-outside-'));
    for (const outsideKinds of [[], ['release']]) {
      const slipway = await openSlipway({ dataDir: join(dir, outsideKinds.join('-') || 'builtin'), ...(await storeOptionFor(join(dir, outsideKinds.join('-') || 'builtin'))), outsideKinds });
      await slipway.addPipelineText(yaml, 'shipyard.yaml', dir);
      const claimed = slipway.engine.claim({ kinds: ['release'], executor: 'helm', leaseMs: 10_000, waitMs: outsideKinds.length ? 5000 : 300 });
      await slipway.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'keptn-like', artifacts: { api: 'api:1' } });
      const got = await claimed;
      if (outsideKinds.length) expect(got?.task).toMatchObject({ name: 'release', kind: 'release' });
      else expect(got).toBeUndefined();
      await slipway.close();
    }
    await rm(dir, { recursive: true, force: true });
  });
});
