/**
 * A project's log, read in order, in Keptn's dialect. The fold keeps what the pure mapping
 * needs and the log says only once: each run (from `run.queued`), each release's artifacts
 * and provenance (from `release.created`), which tasks an outside executor claimed, and per
 * release and service the Keptn data its finished tasks returned, carried into later events
 * of the same release in any stage (as Keptn's shipyard controller merges a context's events).
 */
import type { Release, Run, RunQueuedData, SlipwayEvent, TaskEventData } from '../core/index.js';
import { eventTypes, parseTaskEventType } from '../core/index.js';
import type { KeptnEvent, KeptnRunContext } from './dialect.js';
import { keptnOutput, mergeData, toKeptn } from './dialect.js';

type Obj = Record<string, unknown>;

export interface FoldedTask {
  /** The Slipway task id (`<runId>.<task>.<attempt>`). */
  taskId: string;
  runId: string;
  task: string;
  /** Keptn's `.triggered` events of the task, one per service. */
  triggered: KeptnEvent[];
}

export class KeptnFold {
  private readonly runs = new Map<string, Run>();
  private readonly releases = new Map<string, Pick<Release, 'artifacts' | 'provenance'>>();
  private readonly carried = new Map<string, Map<string, Obj>>();
  private readonly started = new Set<string>();
  private readonly executors = new Map<string, string>();
  /** The latest `.triggered` of every task, by Slipway task id. */
  readonly tasks = new Map<string, FoldedTask>();

  /** A release's artifacts and provenance, as its `release.created` event gives them (for a reader that starts mid-log). */
  addRelease(r: Pick<Release, 'id' | 'artifacts' | 'provenance'>): void {
    this.releases.set(r.id, { artifacts: r.artifacts, provenance: r.provenance });
  }

  add(event: SlipwayEvent): KeptnEvent[] {
    if (event.type === eventTypes.releaseCreated) {
      this.addRelease((event.data as { release: Release }).release);
      return [];
    }
    if (event.type === eventTypes.runQueued) {
      const run = (event.data as unknown as RunQueuedData).run;
      this.runs.set(run.id, run);
      return [];
    }
    const run = event.runid === undefined ? undefined : this.runs.get(event.runid);
    if (!run) return [];
    // A run that never started (superseded or aborted while queued) never sent its `.triggered`: Keptn has nothing to finish.
    if (event.type === eventTypes.runFinished && !this.started.has(run.id)) return [];
    const ctx = this.context(run, event);
    let firstStart: boolean | undefined;
    if (event.type === eventTypes.runStarted) {
      firstStart = !this.started.has(run.id);
      this.started.add(run.id);
    }
    const parsed = parseTaskEventType(event.type);
    const d = event.data as unknown as TaskEventData;
    if (parsed?.phase === 'started' && d.executor !== undefined && event.taskid !== undefined) this.executors.set(event.taskid, d.executor);
    const executor = event.taskid === undefined ? undefined : this.executors.get(event.taskid);
    const out = toKeptn(event, ctx, { ...(firstStart !== undefined ? { firstStart } : {}), ...(executor !== undefined ? { executor } : {}) });
    if (parsed?.phase === 'triggered' && event.taskid !== undefined) this.tasks.set(event.taskid, { taskId: event.taskid, runId: run.id, task: parsed.task, triggered: out });
    if (parsed?.phase === 'finished') this.carry(run, parsed.task, d);
    // An ended run's tasks can no longer be answered: dropping them keeps every poll (which walks
    // `tasks`) as cheap as the open work, however long the server runs. A retried run triggers anew.
    if (event.type === eventTypes.runFinished) this.forgetTasks(run.id);
    return out;
  }

  private forgetTasks(runId: string): void {
    for (const [id, t] of this.tasks) {
      if (t.runId !== runId) continue;
      this.tasks.delete(id);
      this.executors.delete(id);
    }
  }

  /** Every event of a log, in order. */
  static map(events: Iterable<SlipwayEvent>): { fold: KeptnFold; events: KeptnEvent[] } {
    const fold = new KeptnFold();
    const out: KeptnEvent[] = [];
    for (const e of events) out.push(...fold.add(e));
    return { fold, events: out };
  }

  private context(run: Run, event: SlipwayEvent): KeptnRunContext {
    const release = this.releases.get(run.releaseId);
    const artifacts = release?.artifacts ?? (event.data as Partial<TaskEventData>).artifacts ?? {};
    const labels = Object.fromEntries(Object.entries(release?.provenance ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const carried = this.carried.get(this.key(run));
    return {
      run: { id: run.id, project: run.project, stage: run.stage, sequence: run.sequence, releaseId: run.releaseId, services: run.services },
      artifacts,
      labels,
      ...(carried ? { carried: Object.fromEntries(carried) } : {}),
    };
  }

  private key(run: Run): string {
    return `${run.project}\0${run.releaseId}`;
  }

  private carry(run: Run, task: string, d: TaskEventData): void {
    let per = this.carried.get(this.key(run));
    if (!per) this.carried.set(this.key(run), (per = new Map()));
    const services = run.services.length > 0 ? run.services : Object.keys(this.releases.get(run.releaseId)?.artifacts ?? {});
    for (const service of services) {
      const byService = d.output?.['services'];
      const output = typeof byService === 'object' && byService !== null && !Array.isArray(byService) && (byService as Obj)[service] !== undefined ? ((byService as Obj)[service] as Obj) : d.output;
      per.set(service, mergeData(per.get(service) ?? {}, keptnOutput(task, output).data));
    }
  }
}
