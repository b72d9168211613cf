/**
 * The audit log's hash chain. Each row is sealed as a canonical JSON text (keys sorted,
 * absent fields left out) of its content and the previous row's hash; its hash is the
 * sha256 of that text. Editing a row changes its hash; deleting one breaks the next row's
 * link. The store seals rows inside the transaction that writes them (it alone knows the
 * previous row there); `src/audit` recomputes the chain to verify it.
 */
import { createHash } from 'node:crypto';
import type { AuditDraft, AuditRow } from './port.js';

/** The `prevHash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level and undefined members dropped: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The content a row's hash covers, in the sealed form (no hash of its own). */
export function auditContent(row: Omit<AuditRow, 'hash'>): Record<string, unknown> {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    project: row.project,
    target: row.target,
    details: row.details,
    prevHash: row.prevHash,
  };
}

/** Seals a draft as row `seq` after the row whose hash is `prevHash`. */
export function sealAudit(draft: AuditDraft, seq: number, prevHash: string): { row: AuditRow; sealed: string } {
  const content = auditContent({ ...draft, seq, prevHash });
  const sealed = canonicalJson(content);
  return { row: { ...(JSON.parse(sealed) as Omit<AuditRow, 'hash'>), hash: sha256Hex(sealed) }, sealed };
}
