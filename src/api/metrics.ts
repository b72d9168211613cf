/**
 * Prometheus metrics, in a registry per server (tests start several in one process):
 * process metrics, runs and tasks as they finish, how long engine commits take, and how
 * many tasks wait for an outside executor.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SlipwayEvent } from '../core/index.js';
import { eventTypes, parseTaskEventType } from '../core/index.js';
import type { Engine } from '../engine/index.js';

export class Metrics {
  readonly registry = new Registry();
  private readonly runs = new Counter({ name: 'slipway_runs_total', help: 'Runs that ended, by project, stage and end state', labelNames: ['project', 'stage', 'state'], registers: [this.registry] });
  private readonly tasks = new Counter({ name: 'slipway_tasks_total', help: 'Task attempts that finished, by kind and result', labelNames: ['kind', 'result'], registers: [this.registry] });
  private readonly commits = new Histogram({
    name: 'slipway_engine_commit_seconds',
    help: 'Time one engine transaction took, from taking its inputs to the commit',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly onEvent = (e: SlipwayEvent) => this.count(e);
  private readonly onCommit = ({ ms }: { ms: number }) => this.commits.observe(ms / 1000);

  /** `extra`: more collectors on the same registry (the DORA gauges). */
  constructor(
    private readonly engine: Engine,
    extra?: (registry: Registry) => void,
  ) {
    collectDefaultMetrics({ register: this.registry });
    extra?.(this.registry);
    new Gauge({
      name: 'slipway_outside_backlog',
      help: 'Tasks waiting for an outside executor, by kind',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(engine.backlog())) this.set({ kind }, n);
      },
    });
    engine.emitter.on('event', this.onEvent);
    engine.emitter.on('committed', this.onCommit);
  }

  stop(): void {
    this.engine.emitter.off('event', this.onEvent);
    this.engine.emitter.off('committed', this.onCommit);
  }

  private count(e: SlipwayEvent): void {
    if (e.type === eventTypes.runFinished) {
      this.runs.inc({ project: e.project, stage: String(e.data['stage'] ?? ''), state: String(e.data['state'] ?? '') });
      return;
    }
    const t = parseTaskEventType(e.type);
    if (t?.phase === 'finished') this.tasks.inc({ kind: String(e.data['kind'] ?? ''), result: String(e.data['result'] ?? '') });
  }
}
