/**
 * Push for outside executors: per subscription, a loop claims tasks of its kind (as
 * executor `subscription:<id>`) and delivers them, a few at a time. Several
 * subscriptions to one kind share its tasks. When a run is aborted, each subscriber that
 * holds one of its tasks gets a signed `sh.slipway.task.<task>.aborted` notice.
 */
import type { Logger } from 'pino';
import type { SlipwayEvent } from '../../core/index.js';
import { eventTypes } from '../../core/index.js';
import type { ClaimedTask, Engine } from '../../engine/index.js';
import type { Store, SubscriptionRow } from '../../store/index.js';
import { KeptnExecutorApi, leaseKeyIn } from '../../keptn/index.js';
import type { PushOptions } from '../types.js';
import { deliver } from './delivery.js';
import { runKeptnSubscription } from './keptn-push.js';
import { postEvent } from './post.js';

interface Loop {
  sub: SubscriptionRow;
  stop: AbortController;
  done: Promise<void>;
}

export const DEFAULT_PUSH: PushOptions = { attempts: 5, baseDelayMs: 1000, timeoutMs: 10_000, leaseMs: 60_000, concurrency: 8 };

export class Deliverer {
  private readonly loops = new Map<string, Loop>();
  /** Tasks being delivered to, or held by, a subscriber, by task id. */
  private readonly holding = new Map<string, { sub: SubscriptionRow; claimed: ClaimedTask }>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly stopAll = new AbortController();
  private readonly onEvent = (e: SlipwayEvent) => this.observe(e);
  /** Keptn-dialect subscriptions read tasks as Keptn events and claim with the executor API's lease tokens. */
  private readonly keptn: KeptnExecutorApi;

  constructor(
    private readonly engine: Engine,
    private readonly store: Store,
    private readonly options: PushOptions,
    private readonly log: Logger,
    /** The data directory, whose key Keptn-dialect claims are made with (the executor API checks answers with it). */
    dataDir?: string,
  ) {
    this.keptn = new KeptnExecutorApi({ engine, store, ...(dataDir !== undefined ? { leaseKey: leaseKeyIn(dataDir) } : {}) });
  }

  async start(): Promise<void> {
    this.engine.emitter.on('event', this.onEvent);
    await this.refresh();
  }

  /** Starts loops for new subscriptions and stops those of deleted ones. */
  async refresh(): Promise<void> {
    if (this.stopAll.signal.aborted) return;
    const subs = await this.store.listSubscriptions();
    const ids = new Set(subs.map((s) => s.id));
    for (const [id, loop] of this.loops) {
      if (ids.has(id)) continue;
      loop.stop.abort();
      this.loops.delete(id);
    }
    for (const sub of subs) if (!this.loops.has(sub.id)) this.loops.set(sub.id, this.startLoop(sub));
  }

  async stop(): Promise<void> {
    this.engine.emitter.off('event', this.onEvent);
    this.stopAll.abort();
    for (const l of this.loops.values()) l.stop.abort();
    await Promise.allSettled([...[...this.loops.values()].map((l) => l.done), ...this.inflight]);
    this.loops.clear();
  }

  private startLoop(sub: SubscriptionRow): Loop {
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.stopAll.signal]);
    const done =
      sub.dialect === 'keptn'
        ? runKeptnSubscription({ engine: this.engine, keptn: this.keptn, options: this.options, log: this.log }, sub, signal, (p) => {
            this.inflight.add(p);
            void p.finally(() => this.inflight.delete(p));
          })
        : this.run(sub, signal);
    return { sub, stop, done };
  }

  private async run(sub: SubscriptionRow, signal: AbortSignal): Promise<void> {
    let busy = 0;
    let freed: (() => void) | undefined;
    while (!signal.aborted) {
      if (busy >= this.options.concurrency) {
        await new Promise<void>((r) => (freed = r));
        continue;
      }
      let claimed: ClaimedTask | undefined;
      try {
        claimed = await this.engine.claim({ kinds: [sub.kind], executor: `subscription:${sub.id}`, leaseMs: this.options.leaseMs, waitMs: 30_000, by: `subscription:${sub.id}`, signal });
      } catch (e) {
        this.log.warn({ err: e, subscription: sub.id }, 'claim for a subscription failed; trying again shortly');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!claimed) continue;
      busy++;
      const c = claimed;
      this.holding.set(c.task.id, { sub, claimed: c });
      const p = deliver({ engine: this.engine, options: this.options, log: this.log, signal: this.stopAll.signal }, sub, c)
        .then((ok) => ok || this.holding.delete(c.task.id))
        .catch((e: unknown) => this.log.error({ err: e, taskId: c.task.id }, 'push delivery crashed'))
        .finally(() => {
          busy--;
          this.inflight.delete(p);
          freed?.();
          freed = undefined;
        });
      this.inflight.add(p);
    }
    freed?.();
  }

  private observe(e: SlipwayEvent): void {
    if (e.type === eventTypes.runFinished) {
      for (const [taskId, h] of this.holding) {
        if (h.claimed.run.id !== e.runid) continue;
        this.holding.delete(taskId);
        if (e.data['state'] === 'aborted') this.notifyAbort(h.sub, h.claimed, String(e.data['reason'] ?? 'the run was aborted'));
      }
    } else if (e.taskid !== undefined && (e.type.endsWith('.finished') || e.type.endsWith('.skipped'))) {
      // An abort finishes the run's tasks just before the run, in the same batch: forget
      // the task only after the batch's events were all seen.
      const id = e.taskid;
      queueMicrotask(() => this.holding.delete(id));
    }
  }

  private notifyAbort(sub: SubscriptionRow, c: ClaimedTask, reason: string): void {
    const notice = {
      specversion: '1.0',
      id: `${c.task.id}.aborted`,
      source: `/projects/${c.run.project}/stages/${c.run.stage}`,
      type: `sh.slipway.task.${c.task.name}.aborted`,
      subject: c.task.id,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      project: c.run.project,
      runid: c.run.id,
      taskid: c.task.id,
      data: { reason, task: c.task.name, kind: c.task.kind, attempt: c.task.attempt, stage: c.run.stage, releaseId: c.run.releaseId },
    };
    const p = postEvent(sub.url, sub.secret, JSON.stringify(notice), this.options.timeoutMs, this.stopAll.signal)
      .then((out) => out.ok || this.log.warn({ taskId: c.task.id, reason: out.reason }, 'abort notice not delivered'))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }
}
