/**
 * The first admin token. With SLIPWAY_ADMIN_TOKEN (or `adminToken`) set, that value is an
 * admin token from then on (automation knows it in advance). Otherwise, while no admin
 * token exists, one is made and written to `<data>/admin-token` with mode 0600; only the
 * file's path is ever printed.
 */
import { randomUUID } from 'node:crypto';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../../core/index.js';
import type { Store } from '../../store/index.js';
import { hashToken, newToken } from './tokens.js';

export interface Bootstrap {
  /** Where the generated token is, when one was written (now or on an earlier start). */
  file?: string;
  /** What happened, for the start-up message. */
  note: string;
}

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function bootstrapAdmin(store: Store, dataDir: string, given: string | undefined): Promise<Bootstrap> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const tokens = await store.listTokens();
  if (given !== undefined) {
    if (given.length < 16) throw new SlipwayError('INVALID_INPUT', 'SLIPWAY_ADMIN_TOKEN must be at least 16 characters; generate one with `openssl rand -hex 32`', { field: 'SLIPWAY_ADMIN_TOKEN' });
    if (!(await store.tokenByHash(hashToken(given)))) await add(store, tokens.map((t) => t.name), 'admin-env', given);
    return { note: 'admin token: the value of SLIPWAY_ADMIN_TOKEN' };
  }
  if (tokens.some((t) => t.scopes.includes('admin'))) return { file, note: `admin token: ${file} (written on the first start)` };
  const token = newToken();
  await add(store, tokens.map((t) => t.name), 'admin', token);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${token}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600); // the umask may have narrowed the mode, never widened it; be exact
  await rename(tmp, file);
  return { file, note: `admin token: ${file}` };
}

async function add(store: Store, taken: string[], base: string, token: string): Promise<void> {
  let name = base;
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`;
  const ok = await store.addToken({ id: `tok_${randomUUID()}`, name, hash: hashToken(token), scopes: ['admin'], createdAt: Date.now(), createdBy: 'bootstrap' });
  if (!ok) throw new SlipwayError('ALREADY_EXISTS', `could not save the bootstrap admin token '${name}'`, {});
}
