/** Chooses the store from one setting: `sqlite:<file>`, or a directory for `<dir>/slipway.db`. */
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Store } from './port.js';
import { openSqliteStore } from './sqlite/index.js';

export const DEFAULT_SQLITE_FILE = 'slipway.db';

const supported = "use 'sqlite:<file>' or a directory (the store is then '<dir>/slipway.db')";

/** Where a store URL points, without opening anything. */
export function parseStoreUrl(url: string): { kind: 'sqlite'; file: string } {
  const value = url.trim();
  if (value === '') throw new SlipwayError('INVALID_INPUT', `the store location is empty; ${supported}`, { field: 'store' });
  // Two or more letters, so a Windows drive (`C:\data`) reads as a path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', file: join(value, DEFAULT_SQLITE_FILE) };
  if (scheme === 'sqlite') {
    // `sqlite:///abs/file.db` (URL style) and `sqlite:rel/file.db` both name a file.
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new SlipwayError('INVALID_INPUT', `the store '${url}' names no file; ${supported}`, { field: 'store', value: url });
    return { kind: 'sqlite', file };
  }
  const later = scheme === 'postgres' || scheme === 'postgresql' ? 'PostgreSQL support comes in a later version; ' : '';
  throw new SlipwayError('INVALID_INPUT', `the store '${url}' uses the unsupported scheme '${scheme}:'; ${later}${supported}`, {
    field: 'store',
    value: url,
  });
}

export async function openStore(url: string): Promise<Store> {
  const target = parseStoreUrl(url);
  return openSqliteStore({ file: target.file });
}
