/**
 * Checks the audit chain row by row, oldest first: each row's columns agree with the text
 * it was sealed as, that text hashes to the row's hash, the row links to the hash of the
 * row before it, and positions follow each other without a gap. The first row that fails
 * is named with what differs. A chain cut at its end cannot tell by itself: the head hash
 * it reports is what to keep elsewhere (a SIEM holds every exported row's hash).
 */
import type { AuditRow, Store, StoredAuditRow } from '../store/index.js';
import { GENESIS_HASH, sha256Hex } from '../store/index.js';

export interface Difference {
  field: string;
  /** As the row's column holds it now. */
  stored: unknown;
  /** As the row was sealed. */
  sealed: unknown;
}

export interface BrokenRow {
  /** 1-based position in the chain (the nth row read). */
  position: number;
  seq: number;
  problem: 'content' | 'hash' | 'link' | 'gap' | 'unreadable';
  message: string;
  differences: Difference[];
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  /** The hash of the last row checked (GENESIS_HASH for an empty log). */
  headHash: string;
  headSeq: number;
  broken?: BrokenRow;
}

const FIELDS = ['seq', 'at', 'actor', 'action', 'project', 'target', 'details', 'prevHash'] as const;
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const short = (h: string): string => h.slice(0, 12);

/** Feed rows in seq order; `check` answers the first problem of a row, if any. */
export class ChainVerifier {
  private prevHash = GENESIS_HASH;
  private prevSeq = 0;
  private count = 0;

  check({ row, sealed }: StoredAuditRow): BrokenRow | undefined {
    const position = ++this.count;
    const at = { position, seq: row.seq };
    let parsed: Partial<Record<string, unknown>>;
    try {
      parsed = JSON.parse(sealed) as Record<string, unknown>;
    } catch {
      return { ...at, problem: 'unreadable', message: `row ${position} (seq ${row.seq}): its sealed text is not JSON; the row was edited`, differences: [] };
    }
    const differences = FIELDS.filter((f) => !same(row[f as keyof AuditRow], parsed[f])).map((f) => ({ field: f, stored: row[f as keyof AuditRow], sealed: parsed[f] }));
    if (differences.length > 0) {
      const what = differences.map((d) => `${d.field} is ${JSON.stringify(d.stored) ?? 'absent'} but was sealed as ${JSON.stringify(d.sealed) ?? 'absent'}`).join('; ');
      return { ...at, problem: 'content', message: `row ${position} (seq ${row.seq}) was edited: ${what}`, differences };
    }
    const actual = sha256Hex(sealed);
    if (actual !== row.hash) {
      return { ...at, problem: 'hash', message: `row ${position} (seq ${row.seq}) was edited: its content hashes to ${short(actual)}… but the row's hash is ${short(row.hash)}…`, differences: [{ field: 'hash', stored: row.hash, sealed: actual }] };
    }
    if (row.seq !== this.prevSeq + 1) {
      const lost = row.seq > this.prevSeq + 1 ? `rows ${this.prevSeq + 1}–${row.seq - 1} are missing (deleted)` : 'it repeats or goes back';
      return { ...at, problem: 'gap', message: `row ${position} has seq ${row.seq} after seq ${this.prevSeq}: ${lost}`, differences: [{ field: 'seq', stored: row.seq, sealed: this.prevSeq + 1 }] };
    }
    if (row.prevHash !== this.prevHash) {
      return {
        ...at,
        problem: 'link',
        message: `row ${position} (seq ${row.seq}) links to ${short(row.prevHash)}… but the row before it (seq ${this.prevSeq}) has hash ${short(this.prevHash)}…: that row was rewritten (its hash recomputed) or one between was removed`,
        differences: [{ field: 'prevHash', stored: row.prevHash, sealed: this.prevHash }],
      };
    }
    this.prevHash = row.hash;
    this.prevSeq = row.seq;
    return undefined;
  }

  get result(): Omit<VerifyResult, 'ok' | 'broken'> {
    return { rows: this.count, headHash: this.prevHash, headSeq: this.prevSeq };
  }
}

/** Pure: verifies rows given in seq order. */
export function verifyRows(rows: Iterable<StoredAuditRow>): VerifyResult {
  const v = new ChainVerifier();
  for (const r of rows) {
    const broken = v.check(r);
    if (broken) return { ok: false, ...v.result, broken };
  }
  return { ok: true, ...v.result };
}

/** Reads the whole chain from the store page by page and verifies it. */
export async function verifyStore(store: Store, pageSize = 2000): Promise<VerifyResult> {
  const v = new ChainVerifier();
  let after = 0;
  for (;;) {
    const page = await store.auditRows({ afterSeq: after, limit: pageSize, order: 'asc' });
    for (const r of page) {
      const broken = v.check(r);
      if (broken) return { ok: false, ...v.result, broken };
    }
    if (page.length < pageSize) return { ok: true, ...v.result };
    after = page.at(-1)!.row.seq;
  }
}
