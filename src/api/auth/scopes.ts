/**
 * Token scopes and what they allow. `admin` implies every other scope; `approve:*`
 * approves in any stage, `approve:<stage>` in that one only; `execute` serves every task
 * kind, `execute:<kind>` that kind only (the core refuses its reports on other kinds).
 */
import type { RouteScope } from '../types.js';

export const SCOPE_PATTERN = /^(read|trigger|execute|admin|audit|approve:\*|approve:[A-Za-z0-9][A-Za-z0-9._-]*|execute:[A-Za-z0-9][A-Za-z0-9._-]*)$/;
export const SCOPE_HELP = 'read, trigger, execute, execute:<kind>, admin, audit, approve:* or approve:<stage>';

/**
 * Whether `scopes` satisfy `need`. For `approve`, `stage` is the stage of the task's run;
 * undefined (the task is unknown) lets any approve scope through, so the route answers 404.
 * Any `execute:<kind>` passes an `execute` route; which tasks it may touch is decided later.
 */
export function allows(scopes: readonly string[], need: RouteScope, stage?: string): boolean {
  if (need === 'none' || scopes.includes('admin')) return true;
  if (need === 'execute') return scopes.some((s) => s === 'execute' || s.startsWith('execute:'));
  if (need !== 'approve') return scopes.includes(need);
  if (scopes.includes('approve:*')) return true;
  return stage === undefined ? scopes.some((s) => s.startsWith('approve:')) : scopes.includes(`approve:${stage}`);
}

/** The task kinds an executor token serves: undefined for every kind (`execute` or `admin`), else its `execute:<kind>` kinds. */
export function executeKinds(scopes: readonly string[]): readonly string[] | undefined {
  if (scopes.includes('admin') || scopes.includes('execute')) return undefined;
  return scopes.filter((s) => s.startsWith('execute:')).map((s) => s.slice('execute:'.length));
}

/** What to tell a token that lacks the scope. */
export function describeNeed(need: RouteScope, stage?: string): string {
  if (need === 'approve') return stage === undefined ? 'an approve:<stage> scope' : `scope approve:${stage} (or approve:*)`;
  if (need === 'execute') return 'scope execute (or execute:<kind>)';
  return `scope ${need}`;
}
