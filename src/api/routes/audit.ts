/**
 * The audit log (scope `audit`, which `admin` implies): rows newest first with filters and
 * cursor pages, and the chain's verification. Auditors get `audit` without `admin`: they
 * read who did what, and change nothing.
 */
import { z } from 'zod';
import { AuditActions, verifyStore } from '../../audit/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import type { AuditRow } from '../../store/index.js';
import { Json, errors } from '../schemas/common.js';
import type { Api } from '../types.js';

/** UTC ms or an RFC 3339 time, as the CLI and the dashboard send them. */
export function parseInstant(value: string, field: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw new SlipwayError('INVALID_INPUT', `${field} '${value}' is neither UTC milliseconds nor an RFC 3339 time; give e.g. 2026-01-05T00:00:00Z`, { field });
  return ms;
}

const When = z.string().max(64).describe('UTC milliseconds or an RFC 3339 time');

export const AuditEntry = z.object({
  seq: z.number().int().describe('position in the chain, from 1'),
  at: z.number().int().describe('UTC ms'),
  time: z.string().describe('RFC 3339'),
  actor: z.string().describe('token:<name>, cli:<user>, server, …'),
  action: z.string().describe(`one of ${AuditActions.join(', ')}`),
  project: z.string().nullable(),
  target: z.string().nullable().describe('the run, release, task, token or secret acted on'),
  details: Json.nullable(),
  prevHash: z.string().describe('sha256 of the row before (64 zeros for the first)'),
  hash: z.string().describe('sha256 of this row sealed as canonical JSON, prevHash included'),
});

export const auditEntry = (r: AuditRow): z.infer<typeof AuditEntry> => ({
  seq: r.seq,
  at: r.at,
  time: new Date(r.at).toISOString(),
  actor: r.actor,
  action: r.action,
  project: r.project ?? null,
  target: r.target ?? null,
  details: r.details ? { ...r.details } : null,
  prevHash: r.prevHash,
  hash: r.hash,
});

const AuditQuery = z.object({
  actor: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  project: z.string().max(200).optional(),
  since: When.optional().describe('rows at or after this time'),
  until: When.optional().describe('rows before this time'),
  q: z.string().max(200).optional().describe('case-insensitive text anywhere in the row'),
  order: z.enum(['desc', 'asc']).default('desc').describe('desc: newest first (default); asc: oldest first, for export'),
  cursor: z.coerce.number().int().min(0).optional().describe('the nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const Difference = z.object({ field: z.string(), stored: z.unknown(), sealed: z.unknown() });
const VerifyAnswer = z.object({
  ok: z.boolean(),
  rows: z.number().int().describe('rows checked'),
  headSeq: z.number().int(),
  headHash: z.string().describe('hash of the last good row: keep it elsewhere to detect a cut at the end'),
  broken: z
    .object({
      position: z.number().int(),
      seq: z.number().int(),
      problem: z.enum(['content', 'hash', 'link', 'gap', 'unreadable']),
      message: z.string(),
      differences: z.array(Difference),
    })
    .nullable(),
});

export function auditRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/audit', {
    config: { scope: 'audit' },
    schema: { summary: 'Audit log: who did what, newest first, with filters', querystring: AuditQuery, response: { 200: z.object({ entries: z.array(AuditEntry), nextCursor: z.string().nullable() }), ...errors } },
    handler: async (req) => {
      const q = req.query;
      const rows = await slipway.store.auditRows({
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.project !== undefined ? { project: q.project } : {}),
        ...(q.since !== undefined ? { sinceMs: parseInstant(q.since, 'since') } : {}),
        ...(q.until !== undefined ? { untilMs: parseInstant(q.until, 'until') } : {}),
        ...(q.q !== undefined ? { text: q.q } : {}),
        ...(q.cursor !== undefined ? (q.order === 'asc' ? { afterSeq: q.cursor } : { beforeSeq: q.cursor }) : {}),
        order: q.order,
        limit: q.limit,
      });
      const last = rows.at(-1);
      return { entries: rows.map((r) => auditEntry(r.row)), nextCursor: rows.length === q.limit && last ? String(last.row.seq) : null };
    },
  });

  app.get('/api/v1/audit/verify', {
    config: { scope: 'audit' },
    schema: { summary: 'Check the whole audit chain; names the first broken row and what differs', response: { 200: VerifyAnswer, ...errors } },
    handler: async () => {
      const r = await verifyStore(slipway.store);
      return { ok: r.ok, rows: r.rows, headSeq: r.headSeq, headHash: r.headHash, broken: r.broken ?? null };
    },
  });
}
