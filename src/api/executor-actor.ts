/**
 * The identity an outside executor's request carries into the core: the claim it names
 * (executor name and lease token, from the claim answer) and the kinds its token serves.
 * The core decides from it whether the request may touch the task.
 */
import type { ExecutorActor } from '../core/index.js';
import { executeKinds } from './auth/scopes.js';
import type { Identity } from './types.js';

export function executorActor(identity: Identity | null, executor: string | undefined, leaseToken: string | undefined): ExecutorActor {
  const kinds = executeKinds(identity?.scopes ?? []);
  return {
    type: 'executor',
    ...(executor !== undefined ? { executor } : {}),
    ...(leaseToken !== undefined ? { leaseToken } : {}),
    ...(kinds !== undefined ? { kinds } : {}),
  };
}
