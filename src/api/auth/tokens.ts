/**
 * API tokens: `slw_` and 32 random bytes (base64url). The store keeps only the sha256, so
 * a leaked database grants nothing; the token is shown once, when it is made.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SlipwayError } from '../../core/index.js';
import type { AuditDraft, Store, TokenRow } from '../../store/index.js';
import type { Identity } from '../types.js';

export const TOKEN_PREFIX = 'slw_';

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Saves a token under `name`; ALREADY_EXISTS when the name (or the token) is taken. */
/** `audit`: the audit row for the new token, written with it in one transaction. */
export async function saveToken(store: Store, input: { name: string; scopes: string[]; groups?: string[]; token: string; createdBy?: string; now: number }, audit?: (row: TokenRow) => AuditDraft): Promise<TokenRow> {
  const row: TokenRow = {
    id: `tok_${randomUUID()}`,
    name: input.name,
    hash: hashToken(input.token),
    scopes: [...new Set(input.scopes)],
    ...(input.groups && input.groups.length > 0 ? { groups: [...new Set(input.groups)].sort() } : {}),
    createdAt: input.now,
    ...(input.createdBy ? { createdBy: input.createdBy } : {}),
  };
  if (!(await store.addToken(row, audit?.(row)))) {
    throw new SlipwayError('ALREADY_EXISTS', `a token named '${input.name}' exists already; choose another name or revoke it first`, { field: 'name' });
  }
  return row;
}

/**
 * Looks tokens up by hash, remembering answers for a while: a request must not cost a
 * store read. Revoking through this server forgets at once (`forget`).
 */
export class TokenCache {
  private readonly known = new Map<string, { identity: Identity | null; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 30_000,
  ) {}

  async identify(token: string): Promise<Identity | null> {
    const hash = hashToken(token);
    const hit = this.known.get(hash);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.identity;
    const row = await this.store.tokenByHash(hash);
    const identity = row ? { tokenId: row.id, name: row.name, scopes: row.scopes, groups: row.groups ?? [] } : null;
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(hash, { identity, at: Date.now() });
    return identity;
  }

  forget(): void {
    this.known.clear();
  }
}
