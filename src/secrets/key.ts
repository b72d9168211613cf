/**
 * The key that seals stored secrets: SLIPWAY_SECRET_KEY (32 bytes, base64 or hex) when
 * set, else `<data>/secret.key`, written with mode 0600 the first time a secret is stored.
 * The key never leaves this module in a message; only its id (a fingerprint) does.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/index.js';
import { KEY_BYTES } from './cipher.js';
import { KEY_VARIABLE } from './names.js';

export interface SecretKey {
  key: Buffer;
  /** `SLIPWAY_SECRET_KEY` or the key file's path, for messages. */
  where: string;
}

export const KEY_FILE = 'secret.key';
const HOW = 'make one with `openssl rand -base64 32`';

export function keyFile(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}

export function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new SlipwayError('SECRET_KEY', `${where} must hold a ${KEY_BYTES}-byte key as base64 or 64 hex digits (${HOW}); it holds ${t.length} characters that are not one`, { field: where === KEY_VARIABLE ? KEY_VARIABLE : 'key' });
  }
  return key;
}

/** The key in use, or undefined when neither the variable nor the file exists yet. */
export async function findKey(dataDir: string, env: Readonly<Record<string, string | undefined>>): Promise<SecretKey | undefined> {
  const given = env[KEY_VARIABLE];
  if (given !== undefined && given !== '') return { key: parseKey(given, KEY_VARIABLE), where: KEY_VARIABLE };
  const file = keyFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SlipwayError('SECRET_KEY', `cannot read the secret key file ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  return { key: parseKey(text, file), where: file };
}

/** The key in use; the key file is created (mode 0600) when there is none. */
export async function ensureKey(dataDir: string, env: Readonly<Record<string, string | undefined>>): Promise<SecretKey> {
  const found = await findKey(dataDir, env);
  if (found) return found;
  const file = keyFile(dataDir);
  const key = randomBytes(KEY_BYTES);
  try {
    // `wx`: two starts racing do not overwrite each other's key.
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return (await findKey(dataDir, env))!;
    throw new SlipwayError('SECRET_KEY', `cannot write the secret key file ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  await chmod(file, 0o600);
  return { key, where: file };
}

/** True when the key file can be read by others than its owner. */
export async function keyFileTooOpen(dataDir: string): Promise<boolean> {
  const s = await stat(keyFile(dataDir)).catch(() => undefined);
  return s !== undefined && (s.mode & 0o077) !== 0;
}
