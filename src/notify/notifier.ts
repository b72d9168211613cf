/**
 * The notifier: turns the event log and the freeze calendar into queue rows (intake.ts) and
 * delivers them (delivery.ts), off the engine's path. The engine's `event` only marks work to
 * do; everything runs later, on its own: a sink that hangs holds one request of its own, at
 * most `timeoutMs`, and never a run. Each sink gets its rows one at a time, in queue order
 * (a receiver reads "failed" after "waiting for approval", not before); at most
 * `concurrency` sinks are sent to at once. Waits for retries and freeze changes are clock
 * timers, but nothing lives only in them: the rows and cursors are in the store, and a
 * restart picks up where it stopped (at least once: a row sent but not yet marked is sent
 * again, with the same delivery id).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NotificationSinkSpec } from '../core/index.js';
import { SlipwayError } from '../core/index.js';
import type { Clock, Engine, SecretResolver, TimerHandle } from '../engine/index.js';
import type { NotificationRow, Store } from '../store/index.js';
import { DEFAULT_NOTIFY, orphaned, sendNotice, settle, type NotifyOptions, type SendDeps } from './delivery.js';
import { EventIntake, intakeFreezes } from './intake.js';
import type { Notice } from './notice.js';
import type { SendOutcome } from './send.js';
import { sinkStatuses, type SinkStatus } from './status.js';

export interface NotifierDeps {
  engine: Engine;
  store: Store;
  secrets: SecretResolver;
  clock: Clock;
  log: Logger;
  options?: Partial<NotifyOptions>;
}

/** Freeze windows are looked at again at least this often (a pipeline change may move them). */
const RESCAN_MS = 60_000;
/** Delivered and given-up rows are kept this long (the status counts them), then deleted, at most hourly. */
const KEEP_MS = 14 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export class Notifier {
  readonly options: NotifyOptions;
  private publicUrl: string | undefined;
  private readonly sending = new Map<string, Promise<void>>();
  private readonly stopAll = new AbortController();
  private timer: { at: number; handle: TimerHandle } | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  private prunedAt = -Infinity;
  /** Sinks whose first waiting message was tried since this process started. */
  private readonly triedSinceStart = new Set<string>();
  private readonly onEvent = () => this.kick();
  private readonly intake: EventIntake;

  constructor(private readonly deps: NotifierDeps) {
    this.options = { ...DEFAULT_NOTIFY, ...deps.options };
    const { engine, clock } = deps;
    this.intake = new EventIntake(deps.store, {
      pipelineOf: (p) => engine.pipeline(p),
      anySinks: () => [...engine.view.pipelines.values()].some((p) => (p.notifications?.length ?? 0) > 0),
      now: () => clock.now(),
    });
  }

  /** Where run links point (the server's public URL); unset: messages carry no link. */
  setPublicUrl(url: string | undefined): void {
    this.publicUrl = url;
  }

  start(): void {
    this.started = true;
    this.deps.engine.emitter.on('event', this.onEvent);
    this.kick();
  }

  async stop(): Promise<void> {
    this.deps.engine.emitter.off('event', this.onEvent);
    this.stopAll.abort();
    this.timer?.handle.cancel();
    this.timer = undefined;
    await Promise.allSettled([this.running, ...this.sending.values()]);
    // Where intake read to, so a restart does not read those events again.
    await this.intake.flush().catch((e: unknown) => this.deps.log.warn({ err: e }, 'notifications: the events cursor could not be saved; a restart reads a few seconds of events again'));
  }

  /** Something may be new: look soon (once, however often asked meanwhile). */
  kick(): void {
    if (!this.started || this.stopAll.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((r) => setImmediate(r))
      .then(() => this.tick())
      .catch((e: unknown) => this.deps.log.warn({ err: e }, 'notifications: a pass failed; trying again shortly'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Every configured sink (and any with rows left) with its queue and failures. */
  async status(project?: string): Promise<SinkStatus[]> {
    return sinkStatuses(this.deps.store, this.deps.engine.view.pipelines.values(), project);
  }

  /** Sends a test notice to one sink now, past the queue; answers how it went. */
  async test(project: string, sinkName: string, by: string): Promise<SendOutcome & { deliveryId: string }> {
    const sink = this.sink(project, sinkName);
    const now = this.deps.clock.now();
    const n: Notice = { id: `test-${randomUUID()}`, topic: sink.on[0]!, project, at: now, title: `Test notification for project ${project} (sink ${sink.name})`, actors: [{ role: 'sent', who: by }], test: true };
    const deliveryId = `${project}/${sink.name}/${n.id}`;
    return { ...(await sendNotice(this.sendDeps(), sink, n, deliveryId)), deliveryId };
  }

  sink(project: string, name: string): NotificationSinkSpec {
    const p = this.deps.engine.pipeline(project);
    if (!p) throw new SlipwayError('UNKNOWN_PROJECT', `project '${project}' is not loaded; load its slipway.yaml first`, { project });
    const sinks = p.notifications ?? [];
    const s = sinks.find((x) => x.name === name);
    if (!s) throw new SlipwayError('UNKNOWN_SINK', `project '${project}' has no notification sink '${name}'; its sinks: ${sinks.map((x) => x.name).join(', ') || '(none: add spec.notifications to slipway.yaml)'}`, { project, sink: name });
    return s;
  }

  private async tick(): Promise<void> {
    const { store, engine, clock } = this.deps;
    await this.intake.pass(this.stopAll.signal);
    if (this.stopAll.signal.aborted) return;
    const freezeWake = await intakeFreezes(store, engine.view.pipelines.values(), clock.now());
    const retryWake = await this.pump();
    const now = clock.now();
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      await store.pruneNotifications(now - KEEP_MS);
    }
    const wake = Math.min(freezeWake ?? Infinity, retryWake ?? Infinity, now + RESCAN_MS);
    this.arm(wake);
  }

  /** Starts a send for each sink whose first pending row is due; answers when the next one comes due. */
  private async pump(): Promise<number | undefined> {
    const { store } = this.deps;
    let wake: number | undefined;
    const groups = (await store.notificationCounts()).filter((c) => c.state === 'pending');
    for (const g of groups) {
      const key = `${g.project}/${g.sink}`;
      if (this.sending.has(key)) continue;
      const [head] = await store.notifications({ project: g.project, sink: g.sink, states: ['pending'], limit: 1 });
      if (!head) continue;
      // After a (re)start each sink's first waiting message goes at once, its backoff aside: a restart
      // often follows a fix, and its tries so far still count toward the limit.
      if (head.nextAt > this.deps.clock.now() && this.triedSinceStart.has(key)) {
        wake = Math.min(wake ?? head.nextAt, head.nextAt);
        continue;
      }
      if (this.sending.size >= this.options.concurrency) continue; // a finishing send kicks again
      this.triedSinceStart.add(key);
      const p = this.deliver(head)
        .catch((e: unknown) => this.deps.log.error({ err: e, delivery: head.id }, 'notifications: a delivery crashed'))
        .finally(() => {
          this.sending.delete(key);
          this.kick();
        });
      this.sending.set(key, p);
    }
    return wake;
  }

  private async deliver(row: NotificationRow): Promise<void> {
    const { store, clock, engine, log } = this.deps;
    const sink = engine.pipeline(row.project)?.notifications?.find((s) => s.name === row.sink);
    if (!sink) return store.updateNotification(orphaned(row, clock.now()));
    const out = await sendNotice(this.sendDeps(), sink, row.notice as unknown as Notice, row.id);
    if (this.stopAll.signal.aborted && !out.ok) return; // cut short by a stop: not the sink's failure
    const next = settle(row, out, clock.now(), this.options);
    await store.updateNotification(next);
    if (out.ok) log.info({ delivery: row.id, project: row.project, sink: row.sink }, 'notification delivered');
    else log.warn({ delivery: row.id, project: row.project, sink: row.sink, attempt: next.attempts, reason: out.reason, state: next.state }, 'notification not delivered');
  }

  private sendDeps(): SendDeps {
    return { secrets: this.deps.secrets, options: this.options, publicUrl: () => this.publicUrl, now: () => this.deps.clock.now(), signal: this.stopAll.signal };
  }

  private arm(at: number): void {
    if (this.stopAll.signal.aborted) return;
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    const handle = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, at - this.deps.clock.now());
    this.timer = { at, handle };
  }
}
