/** Domain objects → the shapes the API answers with (absent values become null). */
import type { z } from 'zod';
import type { LiveEntry, Pipeline, Run, TaskRun } from '../core/index.js';
import { taskId } from '../core/index.js';
import type { RunView, TaskView } from './schemas/runs.js';

const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export function taskView(run: Run, t: TaskRun): z.infer<typeof TaskView> {
  return {
    id: taskId(run.id, t.name, t.attempt),
    name: t.name,
    kind: t.kind,
    step: t.step,
    state: t.state,
    attempt: t.attempt,
    result: n(t.result),
    message: n(t.message),
    triggeredAt: n(t.triggeredAt),
    startedAt: n(t.startedAt),
    finishedAt: n(t.finishedAt),
    waitUntil: n(t.waitUntil),
    waitingFor: n(t.waitingFor),
    by: n(t.by),
  };
}

export function runView(r: Run): z.infer<typeof RunView> {
  return {
    id: r.id,
    project: r.project,
    stage: r.stage,
    sequence: r.sequence,
    releaseId: r.releaseId,
    services: [...r.services],
    state: r.state,
    result: n(r.result),
    step: r.step,
    queuedAt: r.queuedAt,
    startedAt: n(r.startedAt),
    finishedAt: n(r.finishedAt),
    reason: n(r.reason),
    triggeredBy: n(r.triggeredBy),
    pipelineVersion: r.pipelineVersion,
    tasks: r.tasks.map((t) => taskView(r, t)),
    queueSeq: r.queueSeq,
    cause: n(r.cause),
    carriedResult: n(r.carriedResult),
    carriedFrom: n(r.carriedFrom),
    rolledBackTo: n(r.rolledBackTo),
    loopStopped: n(r.loopStopped),
    origin: n(r.origin),
    // A run that ended is no longer held, whatever it was when it ended.
    frozen: r.frozen && r.state === 'queued' ? { windows: [...r.frozen.windows], until: r.frozen.until, since: r.frozen.since, atLeast: r.frozen.atLeast ?? false, reason: n(r.frozen.reason) } : null,
    freezeOverride: r.freezeOverride ? { ...r.freezeOverride, windows: [...r.freezeOverride.windows] } : null,
  };
}

export interface StatusCell {
  service: string;
  artifact: string | null;
  release: string | null;
  state: string | null;
  since: number | null;
  lastGoodRelease: string | null;
  lastGoodArtifact: string | null;
  /** Where the service answers in that stage when the local platform runs it. */
  endpoint: string | null;
}

/** The stage × service matrix: every declared or seen service in every stage, in pipeline order. */
export function statusView(
  p: Pipeline,
  live: readonly LiveEntry[],
  endpoint: (stage: string, service: string) => string | undefined = () => undefined,
): { project: string; stages: { name: string; services: StatusCell[] }[] } {
  const services = [...new Set([...p.services, ...live.map((l) => l.service).sort()])];
  const byKey = new Map(live.map((l) => [`${l.stage}\0${l.service}`, l]));
  const stageNames = [...p.stages.map((s) => s.name), ...new Set(live.map((l) => l.stage).filter((s) => !p.stages.some((x) => x.name === s)))];
  return {
    project: p.name,
    stages: stageNames.map((name) => ({
      name,
      services: services.map((service) => {
        const l = byKey.get(`${name}\0${service}`);
        return {
          service,
          artifact: l?.artifact ?? null,
          release: l?.releaseId ?? null,
          state: l?.state ?? null,
          since: l?.since ?? null,
          lastGoodRelease: l?.lastGoodReleaseId ?? null,
          lastGoodArtifact: l?.lastGoodArtifact ?? null,
          endpoint: endpoint(name, service) ?? null,
        };
      }),
    })),
  };
}
