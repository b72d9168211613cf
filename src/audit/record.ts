/** Audit rows for actions that do not go through the engine: tokens, subscriptions, secrets, projects. */
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

/** Appends one row; the caller's change is already saved (these routes have no engine transaction to share). */
export async function recordAudit(store: Store, a: DirectAction): Promise<void> {
  const draft: AuditDraft = {
    at: a.at ?? Date.now(),
    actor: a.actor,
    action: a.action,
    ...(a.project !== undefined ? { project: a.project } : {}),
    ...(a.target !== undefined ? { target: a.target } : {}),
    ...(a.details !== undefined ? { details: a.details } : {}),
  };
  await store.appendAudit([draft]);
}
