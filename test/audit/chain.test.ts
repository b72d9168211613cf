/**
 * The audit chain on a real SQLite file: rows sealed in order verify; an edited column, a
 * rewritten row (hash recomputed) and a deleted row are each named; the table refuses
 * UPDATE and DELETE until its triggers are dropped. And the engine's seam: an action
 * applied through the engine gets its row in the same commit, machinery does not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRows, verifyStore } from '../../src/audit/index.js';
import { Engine, FakeClock } from '../../src/engine/index.js';
import type { AuditDraft, Store } from '../../src/store/index.js';
import { GENESIS_HASH, canonicalJson, openSqliteStore, sha256Hex } from '../../src/store/index.js';
import { pipeline } from '../core/harness.js';

let dir: string;
let file: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-audit-'));
  file = join(dir, 'slipway.db');
  store = await openSqliteStore({ file });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const draft = (i: number): AuditDraft => ({ at: 1_000 + i, actor: `token:user${i}`, action: 'run.abort', project: 'shop', target: `run-${i}`, details: { reason: `because ${i}` } });

/** Raw access to the file, as someone with the disk would have. */
function raw<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('the audit chain', () => {
  it('seals each row over canonical JSON of its content and the previous hash', async () => {
    const [a, b] = await store.appendAudit([draft(1), draft(2)]);
    expect(a!.seq).toBe(1);
    expect(a!.prevHash).toBe(GENESIS_HASH);
    const content = { action: 'run.abort', actor: 'token:user1', at: 1001, details: { reason: 'because 1' }, prevHash: GENESIS_HASH, project: 'shop', seq: 1, target: 'run-1' };
    expect(a!.hash).toBe(sha256Hex(JSON.stringify(content)));
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: undefined } })).toBe('{"a":{"d":[1,null]},"b":1}');
    expect(b!.prevHash).toBe(a!.hash);
    const more = await store.appendAudit([draft(3)]);
    expect(more[0]!.prevHash).toBe(b!.hash);
    expect(await verifyStore(store)).toEqual({ ok: true, rows: 3, headHash: more[0]!.hash, headSeq: 3 });
  });

  it('refuses UPDATE and DELETE on the table', async () => {
    await store.appendAudit([draft(1)]);
    expect(() => raw((db) => db.prepare("update audit set actor = 'x'").run())).toThrow(/append-only: update refused/);
    expect(() => raw((db) => db.prepare('delete from audit').run())).toThrow(/append-only: delete refused/);
  });

  it('names the row whose column was edited, with what differs', async () => {
    await store.appendAudit([1, 2, 3, 4].map(draft));
    raw((db) => {
      db.exec('drop trigger audit_append_only_update');
      db.prepare("update audit set actor = 'token:mallory' where seq = 3").run();
    });
    const r = await verifyStore(store);
    expect(r.ok).toBe(false);
    expect(r.broken).toMatchObject({ position: 3, seq: 3, problem: 'content', differences: [{ field: 'actor', stored: 'token:mallory', sealed: 'token:user3' }] });
    expect(r.broken!.message).toContain('row 3 (seq 3) was edited: actor is "token:mallory" but was sealed as "token:user3"');
  });

  it('names a row rewritten with its hash recomputed by the link of the row after it', async () => {
    const rows = await store.appendAudit([1, 2, 3].map(draft));
    raw((db) => {
      db.exec('drop trigger audit_append_only_update');
      const forged = { action: 'run.abort', actor: 'token:mallory', at: 1002, details: { reason: 'because 2' }, prevHash: rows[0]!.hash, project: 'shop', seq: 2, target: 'run-2' };
      const sealed = JSON.stringify(forged);
      db.prepare('update audit set actor = ?, body = ?, hash = ? where seq = 2').run('token:mallory', sealed, sha256Hex(sealed));
    });
    const r = await verifyStore(store);
    expect(r.broken).toMatchObject({ position: 3, seq: 3, problem: 'link' });
    expect(r.broken!.message).toContain('the row before it (seq 2)');
  });

  it('names the row after a deleted one', async () => {
    await store.appendAudit([1, 2, 3, 4].map(draft));
    raw((db) => {
      db.exec('drop trigger audit_append_only_delete');
      db.prepare('delete from audit where seq = 2').run();
    });
    const r = await verifyStore(store);
    expect(r.broken).toMatchObject({ position: 2, seq: 3, problem: 'gap' });
    expect(r.broken!.message).toBe('row 2 has seq 3 after seq 1: rows 2–2 are missing (deleted)');
  });

  it('verifies pages of a long chain the same as all at once', async () => {
    for (let i = 0; i < 5; i++) await store.appendAudit(Array.from({ length: 7 }, (_, j) => draft(i * 7 + j)));
    const all = await store.auditRows({});
    expect(verifyRows(all)).toEqual(await verifyStore(store, 4));
    expect((await verifyStore(store, 4)).rows).toBe(35);
  });

  it('filters by actor, action, project, time and text, newest first when asked', async () => {
    await store.appendAudit([draft(1), { ...draft(2), action: 'token.create', project: undefined, target: 'ci' }, draft(3)]);
    expect((await store.auditRows({ actor: 'token:user3' })).map((r) => r.row.seq)).toEqual([3]);
    expect((await store.auditRows({ action: 'token.create' })).map((r) => r.row.target)).toEqual(['ci']);
    expect((await store.auditRows({ project: 'shop', order: 'desc' })).map((r) => r.row.seq)).toEqual([3, 1]);
    expect((await store.auditRows({ sinceMs: 1002, untilMs: 1003 })).map((r) => r.row.seq)).toEqual([2]);
    expect((await store.auditRows({ text: 'BECAUSE 3' })).map((r) => r.row.seq)).toEqual([3]);
    expect((await store.auditRows({ text: '100%' })).length).toBe(0);
  });
});

describe('the engine seam', () => {
  it('records a person’s action in the commit that applies it, and not the executor’s reports', async () => {
    const clock = new FakeClock();
    const engine = new Engine({ store, workDir: dir, clock, executors: [] });
    await engine.setPipeline(pipeline('p', [{ name: 'dev', tasks: [{ name: 'test', kind: 'pytest' }] }]), { text: 'x', origin: 'test', dir });
    await engine.start();
    try {
      const d = await engine.apply({ type: 'trigger', id: 't1', by: 'token:alice', project: 'p', artifacts: { api: 'api:1' } });
      const runId = d.value!.runId!;
      await engine.apply({ type: 'run.abort', id: 'a1', by: 'token:bob', runId, reason: 'wrong build' });
      const rows = (await store.auditRows({})).map((r) => r.row);
      expect(rows.map((r) => [r.action, r.actor, r.project, r.target])).toEqual([
        ['project.load', 'server', 'p', 'v1'],
        ['release.trigger', 'token:alice', 'p', d.value!.releaseId],
        ['run.abort', 'token:bob', 'p', runId],
      ]);
      expect(rows[2]!.details).toEqual({ stage: 'dev', releaseId: d.value!.releaseId, reason: 'wrong build' });
      // A refused action writes nothing.
      await expect(engine.apply({ type: 'run.abort', id: 'a2', by: 'token:bob', runId })).rejects.toThrow();
      expect((await store.auditRows({})).length).toBe(3);
      expect((await verifyStore(store)).ok).toBe(true);
    } finally {
      await engine.stop();
    }
  });
});
