/**
 * The core with a FakeClock, the real schedule calendar (src/triggers) asked through
 * ctx.nextFire as the engine asks it, and durable timers kept as rows: `down()` stops
 * firing them (Slipway is not running), `up()` rebuilds the state from the log, as the
 * engine's recovery does, and arms every row again (overdue ones fire at once).
 */
import type { CoreState, Decision, Input, Pipeline, Result, ScheduleSpec, SlipwayEvent, StageSpec, Timer } from '../../src/core/index.js';
import { SLIPWAY_ACTOR, artifactKey, createState, decide, emptyDirty, evolve, requirements } from '../../src/core/index.js';
import type { TimerHandle } from '../../src/engine/clock.js';
import { FakeClock } from '../../src/engine/clock.js';
import { nextFire } from '../../src/triggers/index.js';
import type { NewInput, StageLike } from './harness.js';
import { pipeline, sha } from './harness.js';

export const H = 3_600_000;
export const at = (iso: string): number => Date.parse(iso);

export interface Scheduled extends StageLike {
  schedule?: Partial<ScheduleSpec> & { cron: string; timeZone: string };
  selection?: StageSpec['selection'];
}

/** A pipeline whose stages may carry a schedule or a selection (as slipway.yaml maps them). */
export function scheduledPipeline(name: string, stages: Scheduled[], version = 'v1'): Pipeline {
  const p = pipeline(name, stages);
  return {
    ...p,
    version,
    stages: p.stages.map((s, i) => {
      const src = stages[i]!;
      const out: StageSpec = { ...s };
      if (src.schedule) {
        out.promotion = 'schedule';
        out.schedule = { onlyIfNew: false, missed: 'run-once', ...src.schedule };
      }
      if (src.selection) out.selection = src.selection;
      return out;
    }),
  };
}

export class World {
  state: CoreState = createState();
  log: SlipwayEvent[] = [];
  readonly clock: FakeClock;
  /** The timer rows, as the store keeps them. */
  readonly rows = new Map<string, Timer>();
  private readonly handles = new Map<string, TimerHandle>();
  private running = true;
  private n = 0;

  constructor(private pipeline: Pipeline, now: number) {
    this.clock = new FakeClock(now);
    this.state.pipelines.set(pipeline.name, pipeline);
    this.decide({ type: 'schedule.sync', project: pipeline.name });
  }

  get now(): number {
    return this.clock.now();
  }

  decide(input: NewInput): Decision {
    const full = { ...input, id: input.id ?? `in${this.n++}` } as Input;
    for (const a of requirements(this.state, full, sha).artifacts) {
      if (!this.state.artifactPasses.has(artifactKey(a.project, a.service, a.artifact))) this.state.artifactPasses.set(artifactKey(a.project, a.service, a.artifact), new Map());
    }
    const d = decide(this.state, full, { now: this.clock.now(), hash: sha, defaultTimeoutMs: () => 24 * H, nextFire });
    this.state.dirty = emptyDirty();
    this.log.push(...d.events);
    for (const e of d.effects) {
      if (e.type === 'cancelTimer') {
        this.rows.delete(e.id);
        this.disarm(e.id);
      } else if (e.type === 'setTimer') {
        this.rows.set(e.timer.id, e.timer);
        this.arm(e.timer);
      }
    }
    return d;
  }

  private arm(t: Timer): void {
    this.disarm(t.id);
    if (!this.running) return;
    this.handles.set(t.id, this.clock.setTimeout(() => {
      this.handles.delete(t.id);
      if (this.rows.get(t.id) === t) this.decide({ ...t.input, id: `${t.id}@${t.dueAt}` });
    }, t.dueAt - this.clock.now()));
  }

  private disarm(id: string): void {
    this.handles.get(id)?.cancel();
    this.handles.delete(id);
  }

  /** Slipway stops: nothing fires until `up()`. */
  down(): void {
    this.running = false;
    for (const id of [...this.handles.keys()]) this.disarm(id);
  }

  /** Slipway starts (with `p`, when its pipeline changed meanwhile): state from the log, timers from their rows, then the schedules synced. */
  up(p: Pipeline = this.pipeline): void {
    this.pipeline = p;
    this.running = true;
    this.state = createState();
    this.state.pipelines.set(p.name, p);
    for (const ev of this.log) evolve(this.state, ev);
    this.state.dirty = emptyDirty();
    for (const t of this.rows.values()) this.arm(t);
    this.clock.advance(0);
    this.decide({ type: 'schedule.sync', project: p.name });
  }

  advanceTo(t: number): void {
    this.clock.advance(t - this.clock.now());
  }

  /** A person triggers a release into the first stage; the clock moves a minute first so releases are ordered. */
  release(version: string, result: Result = 'pass'): string {
    this.clock.advance(60_000);
    const d = this.decide({ type: 'trigger', project: this.pipeline.name, artifacts: { web: `web:${version}` }, by: 'ci' });
    if (d.error) throw d.error;
    this.finishAll(result);
    return d.value!.releaseId!;
  }

  dispatched(): string[] {
    return [...this.state.runs.values()].flatMap((r) => r.tasks.filter((t) => t.state === 'triggered' || t.state === 'started').map((t) => `${r.id}.${t.name}.${t.attempt}`));
  }

  finishAll(result: Result = 'pass'): void {
    for (let i = 0; i < 20; i++) {
      const ids = this.dispatched();
      if (ids.length === 0) return;
      for (const id of ids) this.decide({ type: 'task.finished', taskId: id, result, actor: SLIPWAY_ACTOR });
    }
  }

  events(type: string): SlipwayEvent[] {
    return this.log.filter((e) => e.type === `sh.slipway.${type}`);
  }

  /** Releases that entered `stage`, in order. */
  entered(stage: string): string[] {
    return this.events('run.queued').filter((e) => e.source.endsWith(`/stages/${stage}`)).map((e) => (e.data as { run: { releaseId: string } }).run.releaseId);
  }

  next(stage: string): number | undefined {
    return this.state.schedules.get(`${this.pipeline.name}\0${stage}`)?.next;
  }
}
