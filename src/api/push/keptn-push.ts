/**
 * A push subscription in Keptn's dialect: what Keptn's distributor (or webhook-service) did
 * for a service that does not poll. Tasks of the subscription's kind in projects Keptn's
 * protocol serves are claimed for `subscription:<id>` and their Keptn `.triggered` CloudEvent
 * is POSTed to the receiver, exactly as `GET /api/controlPlane/v1/event/triggered/...` would
 * return it (one per service of the release), signed like every delivery.
 *
 * The receiver answers as a Keptn service does, with `.started` / `.finished` naming the
 * event in `triggeredid`, on `POST /api/v1/event`. Keptn events carry no lease token, so the
 * claim is made with the one the executor API derives for (task, `subscription:<id>`, the
 * token the subscription names): an answer sent with that token proves the claim, one sent
 * with any other token is NOT_CLAIM_HOLDER, as for every claim. The claim survives a restart.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExecutorActor } from '../../core/index.js';
import type { Engine } from '../../engine/index.js';
import type { KeptnEvent, KeptnExecutorApi } from '../../keptn/index.js';
import type { SubscriptionRow } from '../../store/index.js';
import type { PushOptions } from '../types.js';
import { renew, sleep } from './delivery.js';
import { originOf, postEvent } from './post.js';

/** How often the loop looks for tasks when no `task:unserved` woke it (a claim that lapsed, a task left from before a restart). */
const RESCAN_MS = 5000;
const DEFAULT_TASK_LEASE_MS = 3_600_000;

export interface KeptnPushDeps {
  engine: Engine;
  keptn: KeptnExecutorApi;
  options: PushOptions;
  log: Logger;
}

/** Runs until `signal` aborts; deliveries in flight are awaited through `track`. */
export async function runKeptnSubscription(deps: KeptnPushDeps, sub: SubscriptionRow, signal: AbortSignal, track: (p: Promise<unknown>) => void): Promise<void> {
  const executor = `subscription:${sub.id}`;
  const inflight = new Set<string>();
  let wake: (() => void) | undefined;
  const onUnserved = ({ kind }: { kind: string }) => {
    if (kind === sub.kind) wake?.();
  };
  deps.engine.emitter.on('task:unserved', onUnserved);
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal.aborted) {
      const waited = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RESCAN_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      try {
        for (const t of await deps.keptn.unclaimed(sub.kind)) {
          if (signal.aborted || inflight.has(t.taskId) || inflight.size >= deps.options.concurrency) continue;
          const leaseToken = await deps.keptn.leaseToken(t.taskId, executor, `token:${sub.token ?? ''}`);
          const d = await deps.engine.apply({ type: 'task.claimed', id: `push:${t.taskId}:claimed`, taskId: t.taskId, executor, leaseMs: deps.options.leaseMs, leaseToken, by: executor });
          if (d.ignored !== undefined) continue; // someone else took it first
          const actor = { type: 'executor', executor, leaseToken } satisfies ExecutorActor;
          inflight.add(t.taskId);
          const p = deliverKeptn(deps, sub, t.taskId, t.task.deadline, t.triggered, actor, signal)
            .catch((e: unknown) => deps.log.error({ err: e, taskId: t.taskId }, 'Keptn push delivery crashed'))
            .finally(() => {
              inflight.delete(t.taskId);
              wake?.();
            });
          track(p);
        }
      } catch (e) {
        deps.log.warn({ err: e, subscription: sub.id }, 'looking for tasks for a Keptn subscription failed; trying again shortly');
      }
      await waited;
    }
  } finally {
    deps.engine.emitter.off('task:unserved', onUnserved);
    signal.removeEventListener('abort', onAbort);
  }
}

/** POSTs each service's `.triggered` event; renews the claim to the task's deadline once all were taken, fails the task when one never was. */
async function deliverKeptn(deps: KeptnPushDeps, sub: SubscriptionRow, taskId: string, deadline: number | undefined, events: readonly KeptnEvent[], actor: ExecutorActor & { executor: string }, signal: AbortSignal): Promise<void> {
  const { engine, options } = deps;
  const origin = originOf(sub.url);
  for (const event of events) {
    const body = JSON.stringify(event);
    let reason = 'no attempt was made';
    let ok = false;
    for (let attempt = 1; attempt <= options.attempts && !signal.aborted; attempt++) {
      if (attempt > 1) {
        await sleep(options.baseDelayMs * 2 ** (attempt - 2), signal);
        if (signal.aborted || !(await renew(engine, taskId, options.leaseMs, actor))) return;
      }
      const out = await postEvent(sub.url, sub.secret, body, options.timeoutMs, signal);
      if (out.ok) {
        ok = true;
        deps.log.info({ taskId, subscription: sub.id, origin, attempt, service: event.data.service }, 'Keptn event pushed');
        break;
      }
      reason = out.reason;
      deps.log.warn({ taskId, subscription: sub.id, origin, attempt, reason }, 'Keptn push delivery failed');
      if (!out.retryable) break;
    }
    if (signal.aborted) return;
    if (!ok) {
      await engine
        .apply({ type: 'task.finished', id: `push:${taskId}:failed:${randomUUID()}`, taskId, result: 'fail', message: `push delivery of ${event.type} to ${origin} failed: ${reason}`, by: actor.executor, actor })
        .catch((e: unknown) => deps.log.warn({ err: e, taskId }, 'could not fail an undeliverable task'));
      return;
    }
  }
  const untilDeadline = deadline !== undefined ? deadline - Date.now() : DEFAULT_TASK_LEASE_MS;
  await renew(engine, taskId, Math.max(untilDeadline, options.leaseMs), actor);
}
