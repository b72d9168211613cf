/**
 * Delivering one claimed task to a subscriber: POST its `.triggered` event, retrying with
 * exponential backoff while renewing the short delivery lease between attempts. The event
 * carries the claim (`executor: subscription:<id>`, `leasetoken`) as extension attributes:
 * the subscriber sends both back with its reports, as a pull executor does. Once the
 * subscriber took it, the lease runs to the task's deadline (the subscriber reports
 * `.started` / `.finished` later, and may heartbeat). When every attempt failed, the task
 * fails with the reason, and its retries (if any) take over.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExecutorActor } from '../../core/index.js';
import type { ClaimedTask, Engine } from '../../engine/index.js';
import type { SubscriptionRow } from '../../store/index.js';
import type { PushOptions } from '../types.js';
import { originOf, postEvent } from './post.js';

const DEFAULT_TASK_LEASE_MS = 3_600_000;

export interface DeliveryDeps {
  engine: Engine;
  options: PushOptions;
  log: Logger;
  signal: AbortSignal;
}

/** Resolves true when the subscriber accepted the task. */
export async function deliver(deps: DeliveryDeps, sub: SubscriptionRow, claimed: ClaimedTask): Promise<boolean> {
  const { engine, options, signal } = deps;
  const taskId = claimed.task.id;
  const origin = originOf(sub.url);
  const actor = subscriptionActor(sub, claimed);
  const body = JSON.stringify({ ...(claimed.event ?? {}), executor: actor.executor, leasetoken: claimed.leaseToken });
  let reason = 'no attempt was made';
  for (let attempt = 1; attempt <= options.attempts && !signal.aborted; attempt++) {
    if (attempt > 1) {
      await sleep(options.baseDelayMs * 2 ** (attempt - 2), signal);
      if (signal.aborted) return false;
      if (!(await renew(engine, taskId, options.leaseMs, actor))) return false; // the task ended or its run was aborted
    }
    const out = await postEvent(sub.url, sub.secret, body, options.timeoutMs, signal);
    if (out.ok) {
      const untilDeadline = claimed.task.deadline !== undefined ? claimed.task.deadline - Date.now() : DEFAULT_TASK_LEASE_MS;
      await renew(engine, taskId, Math.max(untilDeadline, options.leaseMs), actor);
      deps.log.info({ taskId, subscription: sub.id, origin, attempt }, 'task pushed');
      return true;
    }
    reason = out.reason;
    deps.log.warn({ taskId, subscription: sub.id, origin, attempt, reason }, 'push delivery failed');
    if (!out.retryable) break;
  }
  if (signal.aborted) return false;
  await engine
    .apply({
      type: 'task.finished',
      id: `push:${taskId}:failed:${randomUUID()}`,
      taskId,
      result: 'fail',
      message: `push delivery to ${origin} failed: ${reason}`,
      by: `subscription:${sub.id}`,
      actor,
    })
    .catch((e: unknown) => deps.log.warn({ err: e, taskId }, 'could not fail an undeliverable task'));
  return false;
}

/** The deliverer claims as executor `subscription:<id>` and acts on the task with that claim. */
export function subscriptionActor(sub: SubscriptionRow, claimed: ClaimedTask): ExecutorActor & { executor: string } {
  return { type: 'executor', executor: `subscription:${sub.id}`, leaseToken: claimed.leaseToken };
}

/** Extends the subscription's lease on the task; false once the task ended or its run was aborted. */
export async function renew(engine: Engine, taskId: string, leaseMs: number, actor: ExecutorActor & { executor: string }): Promise<boolean> {
  try {
    await engine.heartbeat(taskId, leaseMs, actor, actor.executor);
    return true;
  } catch {
    return false;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
