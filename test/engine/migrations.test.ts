/**
 * The automatic contract through the real engine: the expand arms a durable timer; it comes
 * due while the release's run still goes, looks again, and queues the contract run once the
 * run passed. Real SQLite files for the store and the target database.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

let dir: string;
let sw: Slipway;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-auto-contract-'));
  await writeFile(join(dir, 'expand.sql'), 'CREATE TABLE items (name TEXT, title TEXT);');
  await writeFile(join(dir, 'contract.sql'), 'ALTER TABLE items DROP COLUMN name;');
  await writeFile(
    join(dir, 'slipway.yaml'),
    `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: prod
      tasks:
        - {name: expand, kind: migrate, properties: {phase: expand, database: app.db, expand: expand.sql, contract: contract.sql, contractRecheckMs: 100}}
        - {name: deploy, kind: noop}
        - {name: soak, kind: wait, properties: {duration: 1s}}
`,
  );
  sw = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), unservedKinds: 'fail' });
  await sw.addPipelineFile(join(dir, 'slipway.yaml'));
});
afterEach(async () => {
  await sw.close();
  await rm(dir, { recursive: true, force: true });
});

function finished(sequence: string): Promise<Run> {
  return new Promise((resolve) => {
    const on = (r: Run) => {
      if (r.sequence !== sequence) return;
      sw.engine.emitter.off('run:finished', on);
      resolve(r);
    };
    sw.engine.emitter.on('run:finished', on);
  });
}

describe('automatic contract', () => {
  it('runs as its own run once the release passed the stage, by a timer the expand armed', async () => {
    const delivery = finished('delivery');
    const contract = finished('contract');
    const d = await sw.engine.apply({ type: 'trigger', id: randomUUID(), project: 'shop', artifacts: { web: 'web:2' }, by: 'test' });
    expect((await delivery).state).toBe('succeeded');
    const c = await contract;
    expect(c).toMatchObject({ state: 'succeeded', releaseId: d.value!.releaseId, origin: 'automation' });
    // It queued after the delivery run ended, never beside it.
    expect(c.queuedAt).toBeGreaterThanOrEqual((await sw.store.getRun(d.value!.runId!))!.finishedAt!);
    const db = new Database(join(dir, 'app.db'), { readonly: true });
    try {
      expect((db.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((x) => x.name)).toEqual(['title']);
      expect((db.prepare('SELECT phase FROM slipway_schema_migrations ORDER BY rowid').all() as { phase: string }[]).map((x) => x.phase)).toEqual(['expand', 'contract']);
    } finally {
      db.close();
    }
    const events = (await sw.store.events({ types: ['sh.slipway.schema.changed'] })).map((e) => e.event.data as { phase: string; applied: boolean });
    expect(events.map((e) => `${e.phase} ${e.applied}`)).toEqual(['expand true', 'contract true']);
  });
});
