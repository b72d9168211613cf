import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../src/core/errors.js';
import { openStore, parseStoreUrl } from '../../src/store/index.js';

describe('store URL', () => {
  it('reads sqlite:<file> as that file', () => {
    expect(parseStoreUrl('sqlite:data/x.db')).toStrictEqual({ kind: 'sqlite', file: 'data/x.db' });
    expect(parseStoreUrl('sqlite:///var/lib/slipway.db')).toStrictEqual({ kind: 'sqlite', file: '/var/lib/slipway.db' });
  });

  it('reads a plain path as a directory holding slipway.db', () => {
    expect(parseStoreUrl('/var/lib/slipway')).toStrictEqual({ kind: 'sqlite', file: join('/var/lib/slipway', 'slipway.db') });
    expect(parseStoreUrl('.slipway')).toStrictEqual({ kind: 'sqlite', file: join('.slipway', 'slipway.db') });
  });

  it('reads postgres:// and postgresql:// URLs, with the pool size from ?pool= or SLIPWAY_PG_POOL, and repeats no password', () => {
    const url = 'postgres://slipway:pw-secret@db.example:6432/releases?pool=25&sslmode=require';
    expect(parseStoreUrl(url)).toStrictEqual({ kind: 'postgres', url, where: "db.example:6432 (database 'releases', user 'slipway')", pool: 25 });
    expect(parseStoreUrl('postgresql://db/slipway', { env: { SLIPWAY_PG_POOL: '4' } })).toMatchObject({ kind: 'postgres', where: expect.stringContaining('db:5432'), pool: 4 });
    expect(parseStoreUrl('postgres://db/slipway?pool=7', { env: { SLIPWAY_PG_POOL: '4' } })).toMatchObject({ pool: 7 });
    expect(parseStoreUrl('postgres://db/slipway', { env: {} })).toMatchObject({ pool: 10 });
  });

  it('refuses a pool size that is not a whole number from 1 to 1000, naming where it came from', () => {
    const error: unknown = (() => {
      try {
        parseStoreUrl('postgres://u:pw-secret@db/slipway?pool=lots');
      } catch (e) {
        return e;
      }
    })();
    expect(isSlipwayError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/'pool' parameter is 'lots'.*\?pool=20/) });
    expect((error as Error).message).not.toContain('pw-secret');
    expect(() => parseStoreUrl('postgres://db/x', { env: { SLIPWAY_PG_POOL: '0' } })).toThrow(expect.objectContaining({ message: expect.stringContaining('SLIPWAY_PG_POOL') }));
  });

  it('rejects other schemes and an empty location with INVALID_INPUT', () => {
    expect(() => parseStoreUrl('mysql://db')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining("'mysql:'") }));
    expect(() => parseStoreUrl('  ')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseStoreUrl('sqlite:')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('opens a migrated store from a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-open-'));
    try {
      const store = await openStore(join(dir, 'state'));
      expect(await store.maxQueueSeq()).toBe(0);
      await store.close();
      expect((await stat(join(dir, 'state', 'slipway.db'))).isFile()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
