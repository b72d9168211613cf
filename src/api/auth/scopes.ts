/**
 * Token scopes and what they allow. `admin` implies every other scope; `approve:*`
 * approves in any stage, `approve:<stage>` in that one only.
 */
import type { RouteScope } from '../types.js';

export const SCOPE_PATTERN = /^(read|trigger|execute|admin|approve:\*|approve:[A-Za-z0-9][A-Za-z0-9._-]*)$/;
export const SCOPE_HELP = 'read, trigger, execute, admin, approve:* or approve:<stage>';

/**
 * Whether `scopes` satisfy `need`. For `approve`, `stage` is the stage of the task's run;
 * undefined (the task is unknown) lets any approve scope through, so the route answers 404.
 */
export function allows(scopes: readonly string[], need: RouteScope, stage?: string): boolean {
  if (need === 'none' || scopes.includes('admin')) return true;
  if (need !== 'approve') return scopes.includes(need);
  if (scopes.includes('approve:*')) return true;
  return stage === undefined ? scopes.some((s) => s.startsWith('approve:')) : scopes.includes(`approve:${stage}`);
}

/** What to tell a token that lacks the scope. */
export function describeNeed(need: RouteScope, stage?: string): string {
  if (need === 'approve') return stage === undefined ? 'an approve:<stage> scope' : `scope approve:${stage} (or approve:*)`;
  return `scope ${need}`;
}
