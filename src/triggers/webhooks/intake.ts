/**
 * Every delivery, whatever its source (the generic artifact webhook, GitHub, GitLab, the
 * git watcher), enters here and has one fate: a release and its run, a pull request handed
 * on, nothing to do, or a refusal, recorded in `webhook_deliveries` under (project, source,
 * delivery id). A delivery seen before answers what it answered then and creates nothing.
 *
 * Why no single transaction: the release and its run are written by the engine's own
 * commit, and the delivery row beside it. Instead each step is idempotent, so a crash
 * between them can neither create two releases nor lose one:
 * 1. the row is inserted as `received` before anything else (a duplicate insert loses);
 * 2. the trigger's input id is derived from (project, source, delivery id), and the engine
 *    names its events `<input id>.<n>`: before applying, the event log is asked whether
 *    that input was applied already (by a process that stopped before step 3);
 * 3. the row is updated with the outcome and the release and run ids.
 * A delivery found `received` (cut off by a stop) or `rejected` (a payload no rule matched,
 * sent again after the rules changed) is handled again; any other is a replay.
 */
import type { Logger } from 'pino';
import type { Artifacts, Provenance } from '../../core/index.js';
import { SlipwayError, httpStatusOf } from '../../core/index.js';
import type { Clock, Engine } from '../../engine/index.js';
import { runQueuedBy, sha256 } from '../../engine/index.js';
import type { DeliveryOutcome, DeliveryRow, Store } from '../../store/index.js';

export interface Delivery {
  project: string;
  source: 'artifact' | 'github' | 'gitlab' | 'watcher';
  id: string;
  event: string;
  commit?: string;
}

/** What a delivery asks for, once mapped. */
export type Plan =
  | { kind: 'release'; artifacts: Artifacts; provenance: Provenance; message?: string }
  | { kind: 'forward'; forward: () => Promise<{ message: string; runId?: string; releaseId?: string }> }
  | { kind: 'ignore'; message: string };

export interface IntakeAnswer {
  /** 202: handled now; 200: a delivery seen before (nothing new). */
  status: 200 | 202;
  outcome: DeliveryOutcome;
  message: string;
  releaseId?: string;
  runId?: string;
  duplicate: boolean;
}

export interface IntakeDeps {
  engine: Pick<Engine, 'submit'>;
  store: Store;
  clock: Clock;
  log: Logger;
}

const MAX_ID = 200;

export class Intake {
  /** Deliveries in progress by key: a second copy arriving meanwhile waits for the first's fate. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: IntakeDeps) {}

  async receive(d: Delivery, plan: () => Plan | Promise<Plan>): Promise<IntakeAnswer> {
    if (d.id.length === 0 || d.id.length > MAX_ID || /[\s\u0000-\u001f]/.test(d.id)) {
      throw new SlipwayError('INVALID_INPUT', `delivery id ${JSON.stringify(d.id.slice(0, 80))} is invalid: send 1 to ${MAX_ID} printable characters without spaces, unique per delivery`, { field: 'delivery' });
    }
    const key = JSON.stringify([d.project, d.source, d.id]);
    while (this.busy.has(key)) await this.busy.get(key)!.catch(() => undefined);
    const work = this.handle(d, plan);
    this.busy.set(key, work);
    try {
      return await work;
    } finally {
      this.busy.delete(key);
    }
  }

  private async handle(d: Delivery, plan: () => Plan | Promise<Plan>): Promise<IntakeAnswer> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const row: DeliveryRow = { project: d.project, source: d.source, id: d.id, event: d.event, receivedAt: now, updatedAt: now, outcome: 'received', status: 202, ...(d.commit ? { commit: d.commit } : {}) };
    if (!(await store.addDelivery(row))) {
      const seen = await store.getDelivery(d.project, d.source, d.id);
      if (seen && seen.outcome !== 'received' && seen.outcome !== 'rejected') return replay(seen);
      if (seen) row.receivedAt = seen.receivedAt;
    }
    let p: Plan;
    try {
      p = await plan();
    } catch (e) {
      await this.refuse(row, e);
      throw e;
    }
    try {
      if (p.kind === 'ignore') return await this.finish(row, { outcome: 'ignored', message: p.message });
      if (p.kind === 'forward') {
        const f = await p.forward();
        return await this.finish(row, { outcome: 'forwarded', message: f.message, ...(f.runId ? { runId: f.runId } : {}), ...(f.releaseId ? { releaseId: f.releaseId } : {}) });
      }
      return await this.release(row, p);
    } catch (e) {
      await this.refuse(row, e);
      throw e;
    }
  }

  private async release(row: DeliveryRow, p: Extract<Plan, { kind: 'release' }>): Promise<IntakeAnswer> {
    const inputId = inputIdOf(row);
    const earlier = await runQueuedBy(this.deps.store, inputId);
    if (earlier) {
      // Applied by a process that stopped before recording it: the ids were never answered, but nothing is created again.
      const done = await this.finish(row, { outcome: 'released', message: 'release created before a restart; recorded now', ...earlier });
      return { ...done, status: 200, duplicate: true };
    }
    const decision = await this.deps.engine.submit({
      type: 'trigger',
      id: inputId,
      project: row.project,
      artifacts: p.artifacts,
      provenance: { ...p.provenance, delivery: row.id },
      automated: true,
      by: `webhook:${row.source}`,
    });
    if (decision.error) throw decision.error;
    const v = decision.value;
    if (!v?.releaseId || !v.runId) throw new SlipwayError('INTERNAL', `the trigger for delivery ${row.id} gave no release (${decision.ignored ?? 'no reason'})`);
    const message = decision.ignored ? `release ${v.releaseId} was already queued or running there: ${decision.ignored}` : (p.message ?? `release ${v.releaseId} created; run ${v.runId} queued`);
    return this.finish(row, { outcome: 'released', message, releaseId: v.releaseId, runId: v.runId });
  }

  private async finish(row: DeliveryRow, fate: Pick<DeliveryRow, 'outcome' | 'message' | 'releaseId' | 'runId'>): Promise<IntakeAnswer> {
    const done: DeliveryRow = { ...row, ...fate, status: 202, updatedAt: this.deps.clock.now() };
    await this.deps.store.putDelivery(done);
    return { status: 202, outcome: done.outcome, message: done.message ?? '', duplicate: false, ...(done.releaseId ? { releaseId: done.releaseId } : {}), ...(done.runId ? { runId: done.runId } : {}) };
  }

  private async refuse(row: DeliveryRow, e: unknown): Promise<void> {
    const err = e instanceof SlipwayError ? e : undefined;
    const status = err ? httpStatusOf(err.code) : 500;
    const message = err?.message ?? 'the server failed on this delivery; the log has the details';
    this.deps.log.warn({ project: row.project, source: row.source, delivery: row.id, err: e }, 'webhook delivery refused');
    try {
      await this.deps.store.putDelivery({ ...row, outcome: 'rejected', status, message, updatedAt: this.deps.clock.now() });
    } catch (w) {
      this.deps.log.error({ err: w, delivery: row.id }, 'recording a refused delivery failed');
    }
  }
}

function replay(seen: DeliveryRow): IntakeAnswer {
  return {
    status: 200,
    outcome: seen.outcome,
    message: `delivery ${seen.id} was received before (${seen.outcome}); nothing new was created`,
    duplicate: true,
    ...(seen.releaseId ? { releaseId: seen.releaseId } : {}),
    ...(seen.runId ? { runId: seen.runId } : {}),
  };
}

/** Stable across restarts and free of the sender's characters: the engine names events after it. */
export function inputIdOf(d: Pick<DeliveryRow, 'project' | 'source' | 'id'>): string {
  return `hook-${sha256(JSON.stringify([d.project, d.source, d.id])).slice(0, 32)}`;
}
