/**
 * What the main thread and the commit thread (commit-worker.ts) say to each other, and how
 * an error crosses between them: a SlipwayError arrives as the same SlipwayError (code,
 * message, fields), anything else as an Error with its message and SQLite code, so that
 * sqliteFailure and the store's messages name it as they did on one thread.
 */
import { SlipwayError, type ErrorCode, type ErrorFields } from '../../core/errors.js';
import type { EncodedBatch } from '../sql/commit-batch.js';
import type { AuditDraft, BackupInfo, NotificationRow } from '../port.js';

/** One thread serves every store of the process; each store has a connection there, `conn`. */
export type CommitRequest =
  | { id: number; conn: number; op: 'open'; file: string; maxParameters: number }
  | { id: number; conn: number; op: 'commit'; rows: EncodedBatch; audit: readonly AuditDraft[] }
  | { id: number; conn: number; op: 'backup'; toFile: string }
  | { id: number; conn: number; op: 'notify'; rows: readonly NotificationRow[]; cursors: readonly { name: string; value: number }[] }
  | { id: number; conn: number; op: 'close' };

export interface WireError {
  message: string;
  code?: string;
  slipway?: { code: ErrorCode; fields: ErrorFields };
}

export type CommitReply = { id: number; ok: true; backup?: BackupInfo; added?: number } | { id: number; ok: false; error: WireError };

export function errorOut(e: unknown): WireError {
  if (e instanceof SlipwayError) return { message: e.message, slipway: { code: e.code, fields: e.fields } };
  const code = (e as { code?: unknown } | null)?.code;
  return { message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) };
}

export function errorIn(w: WireError): Error {
  if (w.slipway) return new SlipwayError(w.slipway.code, w.message, w.slipway.fields);
  return Object.assign(new Error(w.message), w.code !== undefined ? { code: w.code } : {});
}
