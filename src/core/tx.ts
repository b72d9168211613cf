/**
 * One decision in progress: it emits events (applied to the state at once through
 * `evolve`, so later rules see their effect) and collects effects. Ids are derived from
 * the input id and a counter, so the same state and input always give the same output.
 */
import type { Effect } from './effects.js';
import type { SlipwayEvent } from './events.js';
import { evolve } from './evolve.js';
import type { FreezeHold, Run, RunOrigin } from './model.js';
import type { ScheduleSpec } from './pipeline.js';
import type { CoreState } from './state.js';

/** What the core needs from outside, passed in so decisions stay pure and repeatable. */
export interface DecideContext {
  /** UTC ms of the decision. */
  now: number;
  /** A content hash (hex): release ids and run ids derive from it. */
  hash(text: string): string;
  /** A task's timeout when its spec sets none (the executor's default for its kind). */
  defaultTimeoutMs(kind: string, properties: Readonly<Record<string, unknown>>): number;
  /**
   * True for kinds an executor in this process runs the moment they are dispatched: their
   * `.started` is recorded with `.triggered`, in the same transaction (one commit less per task).
   * Kinds served by outside executors start when one claims them.
   */
  startsOnDispatch?(kind: string): boolean;
  /**
   * The freeze window holding `stage` of `project` at `at` for runs set off by `origin`
   * (from the pipeline's `freezes` and the calendar in src/triggers); absent: nothing freezes.
   */
  freezeAt?(project: string, stage: string, at: number, origin: RunOrigin): FreezeHold | undefined;
  /**
   * The first fire time of `schedule` strictly after `after` (UTC ms), computed outside the
   * core (src/triggers/schedules: cron in a zone); absent or undefined: it never fires.
   */
  nextFire?(schedule: ScheduleSpec, after: number): number | undefined;
}

export class Tx {
  readonly events: SlipwayEvent[] = [];
  readonly effects: Effect[] = [];
  private counter = 0;

  constructor(
    readonly state: CoreState,
    readonly ctx: DecideContext,
    readonly inputId: string,
    readonly by: string | undefined,
  ) {}

  get now(): number {
    return this.ctx.now;
  }

  /** A fresh id derived from the input: stable when the same input is decided again. */
  nextId(kind: string): string {
    return this.ctx.hash(`${this.inputId}/${kind}/${this.counter++}`).slice(0, 20);
  }

  emit(
    type: string,
    where: { project: string; stage?: string; run?: Run; taskId?: string; triggeredId?: string; subject?: string },
    data: object,
    id?: string,
  ): SlipwayEvent {
    const ev: SlipwayEvent = {
      specversion: '1.0',
      id: id ?? `${this.inputId}.${this.events.length}`,
      source: where.stage ? `/projects/${where.project}/stages/${where.stage}` : `/projects/${where.project}`,
      type,
      time: new Date(this.now).toISOString(),
      datacontenttype: 'application/json',
      project: where.project,
      data: data as Record<string, unknown>,
    };
    const subject = where.subject ?? where.taskId ?? where.run?.id;
    if (subject) ev.subject = subject;
    if (where.run) ev.runid = where.run.id;
    if (where.taskId) ev.taskid = where.taskId;
    if (where.triggeredId) ev.triggeredid = where.triggeredId;
    evolve(this.state, ev);
    this.events.push(ev);
    return ev;
  }

  effect(e: Effect): void {
    this.effects.push(e);
  }
}
