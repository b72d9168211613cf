import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../src/core/index.js';
import { NonRetryableTaskError } from '../../src/engine/index.js';
import { Redactor, Secrets } from '../../src/secrets/index.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';

const task = { id: 'r1.deploy.1', name: 'deploy', kind: 'shell' };
const opened: { dir: string; stores: Store[] }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    for (const s of o.stores) await s.close();
    await rm(o.dir, { recursive: true, force: true });
  }
});

async function place() {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-secrets-'));
  const o = { dir, stores: [] as Store[] };
  opened.push(o);
  let t = 1_000;
  const open = async (env: Record<string, string> = {}) => {
    const store = await openSqliteStore({ file: join(dir, 'slipway.db') });
    o.stores.push(store);
    return Secrets.open({ store, dataDir: dir, env, now: () => t++, redactor: new Redactor() });
  };
  return { dir, open };
}

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('Secrets', () => {
  it('a stored secret resolves in properties, lists by name and dates only, and survives a restart', async () => {
    const { open } = await place();
    const s = await open();
    const { info, created } = await s.set('API_TOKEN', 'tok-value-123', 'token:admin');
    expect(created).toBe(true);
    expect(info).toStrictEqual({ name: 'API_TOKEN', source: 'store', createdAt: 1000, updatedAt: 1000, updatedBy: 'token:admin', problem: null });
    expect(JSON.stringify(s.list())).not.toContain('tok-value-123');
    const props = { run: 'deploy', env: { API_KEY: '${secret:API_TOKEN}' }, headers: { Authorization: 'Bearer ${secret:API_TOKEN}' }, body: { list: ['x${secret:API_TOKEN}'] } };
    expect(s.resolve(props, task)).toStrictEqual({ run: 'deploy', env: { API_KEY: 'tok-value-123' }, headers: { Authorization: 'Bearer tok-value-123' }, body: { list: ['xtok-value-123'] } });
    expect(props.env.API_KEY).toBe('${secret:API_TOKEN}');

    const again = await open();
    expect(again.resolve({ env: { A: '${secret:API_TOKEN}' } }, task)).toStrictEqual({ env: { A: 'tok-value-123' } });
    const replaced = await again.set('API_TOKEN', 'tok-value-456');
    expect(replaced.created).toBe(false);
    expect(replaced.info.createdAt).toBe(1000);
    expect(again.resolve({ a: '${secret:API_TOKEN}' }, task)).toStrictEqual({ a: 'tok-value-456' });
  });

  it('nothing under the data directory holds a stored value in plain text', async () => {
    const { dir, open } = await place();
    const s = await open();
    await s.set('CANARY', 'canary-plain-text-7f3a');
    for (const name of await readdir(dir)) expect((await readFile(join(dir, name))).includes('canary-plain-text-7f3a')).toBe(false);
  });

  it('environment secrets resolve, list as source env, and cannot be overwritten through the store', async () => {
    const { open } = await place();
    const s = await open({ SLIPWAY_SECRET_DB_PASSWORD: 'env-pass-999', SLIPWAY_SECRET_KEY: randomBytes(32).toString('base64'), SLIPWAY_SECRET_bad: 'x' });
    expect(s.list()).toStrictEqual([{ name: 'DB_PASSWORD', source: 'env', createdAt: null, updatedAt: null, updatedBy: null, problem: null }]);
    expect(s.resolve({ env: { P: '${secret:DB_PASSWORD}' } }, task)).toStrictEqual({ env: { P: 'env-pass-999' } });
    const err = await s.set('DB_PASSWORD', 'other').catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.code).toBe('ALREADY_EXISTS');
    expect((err as Error).message).toContain('SLIPWAY_SECRET_DB_PASSWORD');
  });

  it('an unknown secret fails the task (not retried) naming the secret, the field and where to set it', async () => {
    const { open } = await place();
    const s = await open();
    const e = failure(() => s.resolve({ env: { API_KEY: '${secret:NOPE}' } }, task));
    expect(e).toBeInstanceOf(NonRetryableTaskError);
    expect(e.message).toBe(
      "shell task 'deploy': properties.env.API_KEY refers to secret 'NOPE', which is not set; set it with `slipway secret set NOPE` (value on stdin) or SLIPWAY_SECRET_NOPE in the server's environment",
    );
    expect(failure(() => s.resolve({ url: '${secret:lower}' }, task)).message).toContain("properties.url: ${secret:lower}: 'lower' is not a secret name");
  });

  it('after the key changes, a stored secret is listed with its problem and fails the task naming the key', async () => {
    const { open } = await place();
    const first = randomBytes(32).toString('base64');
    await (await open({ SLIPWAY_SECRET_KEY: first })).set('API_TOKEN', 'value-abc-1');
    const s = await open({ SLIPWAY_SECRET_KEY: randomBytes(32).toString('base64') });
    expect(s.list()[0]!.problem).toMatch(/cannot be decrypted: it was sealed with key [0-9a-f]{16}, but the key in SLIPWAY_SECRET_KEY is [0-9a-f]{16}/);
    const e = failure(() => s.resolve({ a: '${secret:API_TOKEN}' }, task));
    expect(e).toBeInstanceOf(NonRetryableTaskError);
    expect(e.message).toContain("secret 'API_TOKEN' cannot be decrypted");
    expect(e.message).toContain('slipway secret set API_TOKEN');
    expect((await open({ SLIPWAY_SECRET_KEY: first })).resolve({ a: '${secret:API_TOKEN}' }, task)).toStrictEqual({ a: 'value-abc-1' });
  });

  it('names are checked, naming the field; KEY is reserved; deleting an unknown secret is UNKNOWN_SECRET', async () => {
    const { open } = await place();
    const s = await open();
    for (const bad of ['lower', '1ABC', 'A-B', 'KEY', '']) {
      const e = await s.set(bad, 'v-1234').catch((x: unknown) => x);
      expect(isSlipwayError(e) && e.fields.field, bad).toBe('name');
    }
    const empty = await s.set('EMPTY', '').catch((x: unknown) => x);
    expect(isSlipwayError(empty) && empty.fields.field).toBe('value');
    await s.set('GONE', 'v-1234');
    await s.delete('GONE');
    const e = await s.delete('GONE').catch((x: unknown) => x);
    expect(isSlipwayError(e) && e.code).toBe('UNKNOWN_SECRET');
    expect(failure(() => s.resolve({ a: '${secret:GONE}' }, task)).message).toContain("secret 'GONE', which is not set");
  });

  it('redacts every known value (plain and JSON-escaped) from what executors report', async () => {
    const { open } = await place();
    const s = await open({ SLIPWAY_SECRET_QUOTED: 'has "quotes" inside' });
    await s.set('API_TOKEN', 'tok-value-123');
    const out = s.redact({ message: 'sent tok-value-123', output: { tail: ['x tok-value-123 y'], json: JSON.stringify({ v: 'has "quotes" inside' }) } });
    expect(out).toStrictEqual({ message: 'sent [secret:API_TOKEN]', output: { tail: ['x [secret:API_TOKEN] y'], json: '{"v":"[secret:QUOTED]"}' } });
  });
});
