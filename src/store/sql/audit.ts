/**
 * The audit table: rows are sealed into the hash chain inside the transaction that writes
 * them, after reading the newest row there, so two writers never link to the same row
 * (SQLite has one writer; a backend with concurrent writers locks the table first).
 * There is no update or delete here; the migration adds triggers that refuse both.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { GENESIS_HASH, sealAudit } from '../audit-chain.js';
import type { AuditDraft, AuditFilter, AuditRow, StoredAuditRow } from '../port.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

/** Call inside a transaction. */
export async function appendAuditIn(trx: Db, drafts: readonly AuditDraft[], lockTable: boolean): Promise<AuditRow[]> {
  if (drafts.length === 0) return [];
  if (lockTable) await sql`lock table audit in share row exclusive mode`.execute(trx);
  const last = await trx.selectFrom('audit').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let seq = Number(last?.seq ?? 0);
  let prev = last?.hash ?? GENESIS_HASH;
  const out: AuditRow[] = [];
  for (const d of drafts) {
    const { row, sealed } = sealAudit(d, ++seq, prev);
    await trx
      .insertInto('audit')
      .values({
        seq: row.seq,
        at_ms: row.at,
        actor: row.actor,
        action: row.action,
        project: row.project ?? null,
        target: row.target ?? null,
        details: row.details === undefined ? null : JSON.stringify(row.details),
        prev_hash: row.prevHash,
        hash: row.hash,
        body: sealed,
      })
      .execute();
    prev = row.hash;
    out.push(row);
  }
  return out;
}

export async function appendAudit(db: Db, drafts: readonly AuditDraft[], lockTable: boolean): Promise<AuditRow[]> {
  if (drafts.length === 0) return [];
  return db.transaction().execute((trx: Transaction<Database>) => appendAuditIn(trx, drafts, lockTable));
}

export async function auditRows(db: Db, f: AuditFilter): Promise<StoredAuditRow[]> {
  let q = db.selectFrom('audit').selectAll();
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.project !== undefined) q = q.where('project', '=', f.project);
  if (f.sinceMs !== undefined) q = q.where('at_ms', '>=', f.sinceMs);
  if (f.untilMs !== undefined) q = q.where('at_ms', '<', f.untilMs);
  if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
  if (f.beforeSeq !== undefined) q = q.where('seq', '<', f.beforeSeq);
  if (f.text !== undefined && f.text !== '') {
    const pattern = `%${f.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`lower(body) like ${pattern} escape '\\'`);
  }
  q = q.orderBy('seq', f.order ?? 'asc');
  if (f.limit !== undefined) q = q.limit(f.limit);
  const rows = await q.execute();
  return rows.map((r) => ({
    row: {
      seq: Number(r.seq),
      at: Number(r.at_ms),
      actor: r.actor,
      action: r.action,
      ...(r.project !== null ? { project: r.project } : {}),
      ...(r.target !== null ? { target: r.target } : {}),
      ...(r.details !== null ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
      prevHash: r.prev_hash,
      hash: r.hash,
    },
    sealed: r.body,
  }));
}
