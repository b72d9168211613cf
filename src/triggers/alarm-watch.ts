/**
 * Watch after success: when a run of a stage with `watch: {for, interval}` succeeds, the
 * stage's alarms are polled until `for` has passed since. A firing alarm is sent to the core
 * as `stage.alarm`, which decides what it means (the release fails there, the stage rolls
 * back) from the state: this watcher only observes. It keeps nothing durable of its own:
 * after a restart it finds the windows still open from the live table and the stage passes,
 * and an alarm sent twice (before and after a restart) is ignored by the core the second time.
 */
import type { Logger } from 'pino';
import type { AlarmSpec, Decision, Pipeline, Run, StageAlarmInput, StageSpec } from '../core/index.js';
import { passKey } from '../core/index.js';
import type { Clock, TimerHandle } from '../engine/index.js';
import type { FiringAlert } from '../evaluation/index.js';
import { firingAlerts } from '../evaluation/index.js';
import type { Store } from '../store/index.js';

export interface AlarmWatchEngine {
  readonly emitter: { on(event: 'run:finished' | 'run:started', fn: (run: Run) => void): unknown; off(event: 'run:finished' | 'run:started', fn: (run: Run) => void): unknown };
  readonly view: { readonly pipelines: ReadonlyMap<string, Pipeline>; readonly live: ReadonlyMap<string, { project: string; stage: string; service: string; releaseId: string; runId: string; state: string }> };
  submit(input: StageAlarmInput): Promise<Decision>;
}

export interface AlarmWatchOptions {
  engine: AlarmWatchEngine;
  store: Pick<Store, 'stagePasses' | 'getRun'>;
  clock: Clock;
  log: Logger;
  /** Reads one alarm's firing alerts (default: Prometheus or Alertmanager over HTTP). */
  read?: (alarm: AlarmSpec, signal: AbortSignal) => Promise<FiringAlert[]>;
}

/** One open window: a release that succeeded in a stage and is watched until `until`. */
export interface Watch {
  project: string;
  stage: string;
  releaseId: string;
  runId: string;
  services: readonly string[];
  until: number;
}

interface Active extends Watch {
  handle?: TimerHandle;
  /** Alarms already sent for this window (once per alarm). */
  sent: Set<string>;
}

const BY = 'slipway:alarm-watch';
const POLL_TIMEOUT_MS = 10_000;

function readOverHttp(alarm: AlarmSpec, signal: AbortSignal): Promise<FiringAlert[]> {
  return firingAlerts(alarm.source, { ...alarm.labels }, { signal, timeoutMs: POLL_TIMEOUT_MS });
}

export class AlarmWatcher {
  private readonly active = new Map<string, Active>();
  private readonly abort = new AbortController();
  private readonly read: (alarm: AlarmSpec, signal: AbortSignal) => Promise<FiringAlert[]>;
  private readonly onFinished = (run: Run): void => this.finished(run);
  private readonly onStarted = (run: Run): void => this.started(run);
  private stopped = false;

  constructor(private readonly opts: AlarmWatchOptions) {
    this.read = opts.read ?? readOverHttp;
  }

  /** The windows open now, for status views. */
  watches(project?: string): Watch[] {
    return [...this.active.values()]
      .filter((w) => project === undefined || w.project === project)
      .map(({ project: p, stage, releaseId, runId, services, until }) => ({ project: p, stage, releaseId, runId, services, until }));
  }

  /** Follows runs from now on, and reopens the windows still open from before a restart. */
  async start(): Promise<void> {
    this.opts.engine.emitter.on('run:finished', this.onFinished);
    this.opts.engine.emitter.on('run:started', this.onStarted);
    const byRun = new Map<string, { project: string; stage: string; releaseId: string; services: string[] }>();
    for (const l of this.opts.engine.view.live.values()) {
      if (l.state !== 'succeeded') continue;
      const w = byRun.get(l.runId) ?? { project: l.project, stage: l.stage, releaseId: l.releaseId, services: [] };
      w.services.push(l.service);
      byRun.set(l.runId, w);
    }
    for (const [runId, w] of byRun) {
      const stage = this.stageOf(w.project, w.stage);
      if (!stage?.watch || !stage.alarms?.length) continue;
      try {
        const run = await this.opts.store.getRun(runId);
        if (!run || run.cause === 'rollback' || run.sequence !== stage.sequences[0]?.name) continue;
        const pass = (await this.opts.store.stagePasses(w.releaseId)).find((p) => passKey(p.stage, p.sequence) === passKey(stage.name, run.sequence));
        if (!pass || pass.runId !== runId || pass.result === 'fail' || pass.alarm) continue;
        this.open({ ...w, runId, until: pass.at + stage.watch.forMs });
      } catch (e) {
        this.opts.log.warn({ err: e, runId }, 'could not reopen the watch window of a run');
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.opts.engine.emitter.off('run:finished', this.onFinished);
    this.opts.engine.emitter.off('run:started', this.onStarted);
    for (const w of this.active.values()) w.handle?.cancel();
    this.active.clear();
  }

  private stageOf(project: string, stage: string): StageSpec | undefined {
    return this.opts.engine.view.pipelines.get(project)?.stages.find((s) => s.name === stage);
  }

  private finished(run: Run): void {
    if (run.state !== 'succeeded' || run.cause === 'rollback' || run.finishedAt === undefined) return;
    const stage = this.stageOf(run.project, run.stage);
    if (!stage?.watch || !stage.alarms?.length || run.sequence !== stage.sequences[0]?.name) return;
    this.open({ project: run.project, stage: run.stage, releaseId: run.releaseId, runId: run.id, services: run.services, until: run.finishedAt + stage.watch.forMs });
  }

  /** A new run in the stage replaces what was watched there (its services overlap). */
  private started(run: Run): void {
    for (const [key, w] of this.active) {
      if (w.project === run.project && w.stage === run.stage && w.runId !== run.id && w.services.some((s) => run.services.includes(s))) this.close(key);
    }
  }

  private open(w: Watch): void {
    if (this.stopped || this.opts.clock.now() >= w.until) return;
    const key = `${w.project}\0${w.stage}\0${w.runId}`;
    if (this.active.has(key)) return;
    const active: Active = { ...w, sent: new Set() };
    this.active.set(key, active);
    this.opts.log.info({ project: w.project, stage: w.stage, releaseId: w.releaseId, until: new Date(w.until).toISOString() }, 'watching alarms after success');
    this.arm(key, active, 0);
  }

  private close(key: string): void {
    this.active.get(key)?.handle?.cancel();
    this.active.delete(key);
  }

  private arm(key: string, w: Active, delay: number): void {
    if (this.stopped) return;
    w.handle = this.opts.clock.setTimeout(() => {
      this.poll(key, w).catch((e: unknown) => {
        this.opts.log.error({ err: e, project: w.project, stage: w.stage }, 'a watch window poll failed; polling again later');
        if (this.active.get(key) === w) this.arm(key, w, this.stageOf(w.project, w.stage)?.watch?.intervalMs ?? 15_000);
      });
    }, delay);
  }

  private async poll(key: string, w: Active): Promise<void> {
    if (this.active.get(key) !== w) return;
    const stage = this.stageOf(w.project, w.stage);
    const now = this.opts.clock.now();
    if (!stage?.watch || !stage.alarms?.length || now > w.until) return this.close(key);
    for (const alarm of stage.alarms) {
      if (w.sent.has(alarm.name)) continue;
      let firing: FiringAlert[];
      try {
        firing = await this.read(alarm, this.abort.signal);
      } catch (e) {
        // An unreadable source proves nothing either way: try again at the next poll.
        this.opts.log.warn({ err: e, project: w.project, stage: w.stage, alarm: alarm.name }, 'alarm could not be read during a watch window');
        continue;
      }
      if (firing.length === 0 || this.active.get(key) !== w) continue;
      w.sent.add(alarm.name);
      const decided = await this.send(w, alarm, firing);
      // Applied (the stage rolls back) or refused as moot (no longer live, window over): this window is done.
      if (decided) return this.close(key);
    }
    if (this.active.get(key) !== w) return;
    const next = Math.min(stage.watch.intervalMs, w.until - this.opts.clock.now());
    if (next <= 0) return this.close(key);
    this.arm(key, w, next);
  }

  /** True when the core settled the matter (applied it, or found it moot); false to keep watching. */
  private async send(w: Active, alarm: AlarmSpec, firing: FiringAlert[]): Promise<boolean> {
    const input: StageAlarmInput = {
      type: 'stage.alarm',
      id: `alarm.${w.runId}.${alarm.name}`,
      by: BY,
      project: w.project,
      stage: w.stage,
      releaseId: w.releaseId,
      alarm: alarm.name,
      alerts: firing.slice(0, 10).map((a) => ({ name: a.name, labels: a.labels })),
    };
    try {
      const d = await this.opts.engine.submit(input);
      if (d.error) {
        this.opts.log.warn({ err: d.error, input }, 'the core refused an alarm from a watch window');
        return true;
      }
      this.opts.log.info({ project: w.project, stage: w.stage, alarm: alarm.name, ignored: d.ignored, rollback: d.value?.runId }, 'alarm in a watch window');
      return true;
    } catch (e) {
      // Not applied (the engine is stopping or the store failed): send it again at the next poll.
      w.sent.delete(alarm.name);
      this.opts.log.warn({ err: e, input }, 'an alarm from a watch window could not be applied; retrying');
      return false;
    }
  }
}
