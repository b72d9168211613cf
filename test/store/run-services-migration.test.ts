/**
 * Migration 0017 (run_services) on a real SQLite file taken back to how a server before it left
 * it (its table and ledger row gone): runs written before are found by service once a server
 * that has it opens the file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.js';
import { aRun, batch } from './fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

it('fills run_services for the runs already written, over more than one page, brackets included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-0017-'));
  dirs.push(dir);
  const file = join(dir, 'slipway.db');
  const store = await openSqliteStore({ file });
  // 1,201 runs: the migration reads them 1,000 at a time.
  const runs = Array.from({ length: 1201 }, (_, i) => aRun({ id: `run-${String(i).padStart(5, '0')}`, stage: 'dev', services: i % 3 === 0 ? ['api', 'web'] : [i % 3 === 1 ? 'api' : 'web'], queueSeq: i + 1 }));
  await store.commit(batch({ runs }));
  await store.close();

  const raw = new Database(file);
  raw.exec(`DROP TABLE run_services; DELETE FROM slipway_migration WHERE name = '0017-run-services';`);
  raw.close();

  const reopened = await openSqliteStore({ file });
  try {
    const api = runs.filter((r) => r.services.includes('api')).map((r) => r.id).reverse();
    expect((await reopened.listRunsWithoutSpecs({ project: 'shop', stage: 'dev', service: 'api' })).map((r) => r.id)).toStrictEqual(api);
    expect((await reopened.listRuns({ project: 'shop', stage: 'dev', service: 'web', limit: 2 })).map((r) => r.id)).toStrictEqual(['run-01200', 'run-01199']);
  } finally {
    await reopened.close();
  }
  const check = new Database(file, { readonly: true });
  expect(check.prepare('SELECT count(*) AS n FROM run_services').get()).toEqual({ n: 1201 + 401 });
  check.close();
});
