/** Drives core.decide without I/O: a pipeline builder and a harness with a hand-moved clock. */
import { createHash } from 'node:crypto';
import type { CoreState, Decision, Input, Pipeline, Result, SlipwayEvent, StageSpec, TaskSpec } from '../../src/core/index.js';
import type { ArtifactPass } from '../../src/core/index.js';
import { SLIPWAY_ACTOR, artifactKey, createState, decide, emptyDirty, requirements } from '../../src/core/index.js';

export interface TaskLike {
  name: string;
  kind?: string;
  retries?: number;
  delayMs?: number;
  timeoutMs?: number;
  continueOnFailure?: boolean;
  if?: TaskSpec['if'];
  properties?: Record<string, unknown>;
}

export interface StageLike {
  name: string;
  after?: string[];
  promotion?: 'auto' | 'manual';
  queue?: 'fifo' | 'supersede';
  requireUpstream?: boolean;
  tasks: (TaskLike | TaskLike[])[];
}

function task(t: TaskLike): TaskSpec {
  return {
    name: t.name,
    kind: t.kind ?? 'noop',
    properties: t.properties ?? {},
    retries: t.retries ?? 0,
    delayMs: t.delayMs ?? 0,
    if: t.if ?? { kind: 'success' },
    continueOnFailure: t.continueOnFailure ?? false,
    ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
  };
}

export function pipeline(name: string, stages: StageLike[], services: string[] = []): Pipeline {
  const specs: StageSpec[] = stages.map((s, i) => {
    const after = s.after ?? (i > 0 ? [stages[i - 1]!.name] : []);
    return {
      name: s.name,
      after,
      promotion: s.promotion ?? 'auto',
      queue: s.queue ?? 'fifo',
      requireUpstream: s.requireUpstream ?? true,
      sequences: [
        {
          name: 'delivery',
          join: 'all',
          triggeredOn: after.map((a) => ({ stage: a, sequence: 'delivery', results: ['pass', 'warning'] as Result[] })),
          steps: s.tasks.map((t) => ({ tasks: (Array.isArray(t) ? t : [t]).map(task) })),
        },
      ],
    };
  });
  return { name, services, stages: specs, format: 'slipway/v1', version: 'v1' };
}

/** An input whose id the harness assigns (distributes over the union). */
export type NewInput = Input extends infer I ? (I extends Input ? Omit<I, 'id'> & { id?: string } : never) : never;

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export class Harness {
  state: CoreState = createState();
  now = Date.UTC(2026, 10, 1);
  log: SlipwayEvent[] = [];
  private n = 0;
  /** Stands in for the store's artifact_passes table, which the engine loads on demand. */
  private passes: ArtifactPass[] = [];

  constructor(...pipelines: Pipeline[]) {
    for (const p of pipelines) this.state.pipelines.set(p.name, p);
  }

  decide(input: NewInput): Decision {
    const full = { ...input, id: input.id ?? `in${this.n++}` } as Input;
    for (const a of requirements(this.state, full, sha).artifacts) {
      const found = this.passes.filter((p) => p.project === a.project && p.service === a.service && p.artifact === a.artifact);
      this.state.artifactPasses.set(artifactKey(a.project, a.service, a.artifact), new Map(found.map((p) => [p.stage, p])));
    }
    const d = decide(this.state, full, { now: this.now, hash: sha, defaultTimeoutMs: () => 60_000 });
    this.passes.push(...this.state.dirty.artifactPasses);
    this.state.dirty = emptyDirty();
    this.log.push(...d.events);
    return d;
  }

  trigger(project: string, artifacts: Record<string, string>, stage?: string): Decision {
    return this.decide({ type: 'trigger', project, artifacts, ...(stage ? { stage } : {}) });
  }

  /** Task ids dispatched and not yet finished, in order. */
  dispatched(): string[] {
    const out: string[] = [];
    for (const r of this.state.runs.values())
      for (const t of r.tasks) if (t.state === 'triggered' || t.state === 'started') out.push(`${r.id}.${t.name}.${t.attempt}`);
    return out;
  }

  /** Finishes a task as Slipway's own executor would (pass `actor` in `extra` to report as another). */
  finish(taskId: string, result: Result = 'pass', extra: Record<string, unknown> = {}): Decision {
    return this.decide({ type: 'task.finished', taskId, result, actor: SLIPWAY_ACTOR, ...extra } as Input);
  }

  /** Finishes every dispatched task with `result` until none is left (or `max` rounds). */
  drain(result: Result = 'pass', max = 100): void {
    for (let i = 0; i < max; i++) {
      const ids = this.dispatched();
      if (ids.length === 0) return;
      for (const id of ids) this.finish(id, result);
    }
  }

  runsOf(stage: string) {
    return [...this.state.runs.values()].filter((r) => r.stage === stage);
  }

  types(): string[] {
    return this.log.map((e) => e.type.replace('sh.slipway.', ''));
  }
}
