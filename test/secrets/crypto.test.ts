import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../src/core/index.js';
import { KEY_FILE, seal, unseal } from '../../src/secrets/index.js';
import { ensureKey, findKey, parseKey } from '../../src/secrets/key.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'slipway-secret-key-'));
  dirs.push(d);
  return d;
}

describe('sealing a secret value', () => {
  it('round-trips, and the sealed form holds neither the value nor its base64', () => {
    const key = randomBytes(32);
    const value = 'canary-🦜-value with "quotes" and \\ backslash';
    const sealed = seal(key, 'API_TOKEN', value);
    const text = JSON.stringify(sealed);
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
    expect(unseal(key, 'API_TOKEN', sealed)).toStrictEqual({ value });
  });

  it('two seals of one value differ (a fresh nonce each time)', () => {
    const key = randomBytes(32);
    expect(seal(key, 'A_B', 'same value').data).not.toBe(seal(key, 'A_B', 'same value').data);
  });

  it('a wrong key is named as such, not as a damaged value', () => {
    const sealed = seal(randomBytes(32), 'API_TOKEN', 'value-1234');
    expect(unseal(randomBytes(32), 'API_TOKEN', sealed)).toStrictEqual({ problem: 'wrong-key' });
  });

  it('a value moved under another name, or altered, does not decrypt', () => {
    const key = randomBytes(32);
    const sealed = seal(key, 'API_TOKEN', 'value-1234');
    expect(unseal(key, 'OTHER', sealed)).toStrictEqual({ problem: 'damaged' });
    const data = Buffer.from(sealed.data, 'base64');
    data[0] = data[0]! ^ 1;
    expect(unseal(key, 'API_TOKEN', { ...sealed, data: data.toString('base64') })).toStrictEqual({ problem: 'damaged' });
  });
});

describe('the secret key', () => {
  it('is created on first use in the data directory with mode 0600, and found again', async () => {
    const dir = await dataDir();
    expect(await findKey(dir, {})).toBeUndefined();
    const made = await ensureKey(dir, {});
    const file = join(dir, KEY_FILE);
    expect(made.where).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(made.key).toHaveLength(32);
    expect((await findKey(dir, {}))!.key.equals(made.key)).toBe(true);
    expect((await ensureKey(dir, {})).key.equals(made.key)).toBe(true);
  });

  it('SLIPWAY_SECRET_KEY wins over the file, as base64 or hex, and no file is written', async () => {
    const dir = await dataDir();
    const key = randomBytes(32);
    for (const text of [key.toString('base64'), key.toString('hex')]) {
      const got = await ensureKey(dir, { SLIPWAY_SECRET_KEY: text });
      expect(got.key.equals(key)).toBe(true);
      expect(got.where).toBe('SLIPWAY_SECRET_KEY');
    }
    await expect(stat(join(dir, KEY_FILE))).rejects.toThrow();
  });

  it('a malformed key is refused naming SLIPWAY_SECRET_KEY, without echoing it', async () => {
    const dir = await dataDir();
    const bad = 'too-short-to-be-a-key-abcdef';
    const err = await ensureKey(dir, { SLIPWAY_SECRET_KEY: bad }).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.code).toBe('SECRET_KEY');
    expect(isSlipwayError(err) && err.fields.field).toBe('SLIPWAY_SECRET_KEY');
    expect(String((err as Error).message)).toContain('openssl rand -base64 32');
    expect(String((err as Error).message)).not.toContain(bad);
    expect(() => parseKey(randomBytes(16).toString('base64'), 'SLIPWAY_SECRET_KEY')).toThrow(/32-byte key/);
  });

  it('a damaged key file is refused naming the file', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, KEY_FILE), 'not a key\n', { mode: 0o600 });
    await expect(findKey(dir, {})).rejects.toThrow(join(dir, KEY_FILE));
    expect(await readFile(join(dir, KEY_FILE), 'utf8')).toBe('not a key\n');
  });
});
