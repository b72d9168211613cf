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

  it('rejects PostgreSQL for now, saying it comes later', () => {
    const error: unknown = (() => {
      try {
        parseStoreUrl('postgres://db/slipway');
      } catch (e) {
        return e;
      }
    })();
    expect(isSlipwayError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/PostgreSQL .*later/) });
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
