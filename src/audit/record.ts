/**
 * Audit rows for actions that do not go through the engine: tokens, subscriptions, secrets,
 * projects. Each is handed to the store method making the change, which commits both at once.
 */
import type { AuditDraft, Store } from '../store/index.js';
import type { AuditAction } from './actions.js';

export interface DirectAction {
  actor: string;
  action: AuditAction;
  project?: string;
  target?: string;
  details?: Readonly<Record<string, unknown>>;
  /** UTC ms; default now. */
  at?: number;
}

/**
 * The row for an action, to hand to the store method that makes the change (addToken,
 * deleteToken, putSecret, …): the store writes both in one transaction.
 */
export function auditDraft(a: DirectAction): AuditDraft {
  return {
    at: a.at ?? Date.now(),
    actor: a.actor,
    action: a.action,
    ...(a.project !== undefined ? { project: a.project } : {}),
    ...(a.target !== undefined ? { target: a.target } : {}),
    ...(a.details !== undefined ? { details: a.details } : {}),
  };
}

/** Appends one row on its own: for an action that changes nothing in the store (it is the whole record). */
export async function recordAudit(store: Store, a: DirectAction): Promise<void> {
  await store.appendAudit([auditDraft(a)]);
}
