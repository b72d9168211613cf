/**
 * Token, subscription, secret and project changes and their audit rows, on a real SQLite
 * file: each change that happens writes its row in the same transaction; a change that does
 * not happen (a taken name, nothing to delete) writes none; a change the database refuses
 * (a trigger raising, as a failing disk or constraint would) leaves no row; and a row that
 * cannot be written takes its change down with it. The chain verifies after each.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditDraft, verifyStore, type AuditAction } from '../../src/audit/index.js';
import type { SecretRow, Store, TokenRow } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/index.js';

let dir: string;
let file: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-audit-direct-'));
  file = join(dir, 'slipway.db');
  store = await openSqliteStore({ file });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const token = (name: string): TokenRow => ({ id: `tok_${name}`, name, hash: `hash-${name}`, scopes: ['read'], createdAt: 1_000 });
const secret = (name: string): SecretRow => ({ name, keyId: 'k1', iv: 'aXY=', data: 'ZGF0YQ==', tag: 'dGFn', createdAt: 1_000, updatedAt: 1_000 });
const row = (action: AuditAction, target: string) => auditDraft({ actor: 'token:ana', action, target, at: 2_000 });

async function audited(): Promise<string[]> {
  return (await store.auditRows({ afterSeq: 0, limit: 100, order: 'asc' })).map(({ row: r }) => `${r.action} ${r.target}`);
}

async function chainHolds(): Promise<void> {
  expect((await verifyStore(store)).ok).toBe(true);
}

/** Makes the database refuse a statement, as a constraint or a full disk would, through a second connection to the file. */
function refuse(sqlTrigger: string): void {
  const db = new Database(file);
  try {
    db.exec(sqlTrigger);
  } finally {
    db.close();
  }
}

describe('a direct change and its audit row are one transaction', () => {
  it('writes the row with every change that happens', async () => {
    expect(await store.addToken(token('ana'), row('token.create', 'ana'))).toBe(true);
    expect(await store.deleteToken('tok_ana', row('token.revoke', 'ana'))).toBe(true);
    expect(await store.addSubscription({ id: 'sub_1', kind: 'scan', url: 'http://127.0.0.1:1/', secret: 's'.repeat(16), createdAt: 1_000 }, row('subscription.create', 'sub_1'))).toBe(true);
    expect(await store.deleteSubscription('sub_1', row('subscription.delete', 'sub_1'))).toBe(true);
    await store.putSecret(secret('DB_PASSWORD'), row('secret.set', 'DB_PASSWORD'));
    expect(await store.deleteSecret('DB_PASSWORD', row('secret.delete', 'DB_PASSWORD'))).toBe(true);
    await store.savePipelineVersion({ project: 'shop', version: 'v1', source: 'kind: Pipeline', origin: 'api:test', createdAt: 1_000 }, auditDraft({ actor: 'token:ana', action: 'project.load', project: 'shop', target: 'v1' }));
    expect(await audited()).toStrictEqual([
      'token.create ana',
      'token.revoke ana',
      'subscription.create sub_1',
      'subscription.delete sub_1',
      'secret.set DB_PASSWORD',
      'secret.delete DB_PASSWORD',
      'project.load v1',
    ]);
    await chainHolds();
  });

  it('writes no row for a change that does not happen: a taken name, nothing to delete', async () => {
    await store.addToken(token('ana'), row('token.create', 'ana'));
    expect(await store.addToken({ ...token('ana'), id: 'tok_other', hash: 'other' }, row('token.create', 'ana again'))).toBe(false);
    expect(await store.deleteToken('tok_nobody', row('token.revoke', 'nobody'))).toBe(false);
    expect(await store.deleteSecret('NOT_SET', row('secret.delete', 'NOT_SET'))).toBe(false);
    expect(await store.deleteSubscription('sub_none', row('subscription.delete', 'sub_none'))).toBe(false);
    expect(await audited()).toStrictEqual(['token.create ana']);
    await chainHolds();
  });

  it('leaves no row when the database refuses the change', async () => {
    refuse("CREATE TRIGGER no_doomed BEFORE INSERT ON tokens WHEN NEW.name = 'doomed' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
    refuse("CREATE TRIGGER no_secret BEFORE INSERT ON secrets BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
    await expect(store.addToken(token('doomed'), row('token.create', 'doomed'))).rejects.toThrow('refused by the test');
    await expect(store.putSecret(secret('API_KEY'), row('secret.set', 'API_KEY'))).rejects.toThrow('refused by the test');
    expect(await audited()).toStrictEqual([]);
    expect(await store.listTokens()).toStrictEqual([]);
    // The next change links to the chain as if nothing had been tried.
    await store.addToken(token('ana'), row('token.create', 'ana'));
    expect(await audited()).toStrictEqual(['token.create ana']);
    await chainHolds();
  });

  it('undoes the change when its row cannot be written', async () => {
    refuse("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END;");
    await expect(store.addToken(token('ana'), row('token.create', 'ana'))).rejects.toThrow('audit refused by the test');
    await expect(store.putSecret(secret('API_KEY'), row('secret.set', 'API_KEY'))).rejects.toThrow('audit refused by the test');
    expect(await store.listTokens()).toStrictEqual([]);
    expect(await store.listSecrets()).toStrictEqual([]);
  });
});
