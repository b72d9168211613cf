/**
 * Watch after success: for `watch.for` after a run of a stage succeeded, the stage's alarms
 * are still watched (by a watcher outside the core, which sends `stage.alarm`). One that
 * fires turns the release's pass there into a failure, so it promotes no further (queued
 * runs of it downstream are stopped before they start, manual promotion is refused), and
 * puts the stage's previous good release back. Each input is decided here from the state
 * alone: the same alarm seen again, late, or for a release no longer live changes nothing.
 */
import { SlipwayError } from './errors.js';
import type { ReleaseAlarmData } from './events.js';
import { eventTypes } from './events.js';
import { abortRun, queueRollback } from './flow.js';
import type { StageAlarmInput } from './inputs.js';
import type { Run } from './model.js';
import type { Pipeline, StageSpec } from './pipeline.js';
import type { CoreState } from './state.js';
import { liveKey, openRun, passKey, stageLive } from './state.js';
import type { Tx } from './tx.js';

const MAX_ALERTS = 10;

/** The release an alarm in `stage` would roll back to: the previous good one, where every service agrees. */
export function alarmRollbackTarget(state: CoreState, project: string, stage: string, releaseId: string): string | undefined {
  const live = stageLive(state, project, stage).filter((l) => l.releaseId === releaseId);
  const targets = new Set(live.map((l) => l.previousGoodReleaseId));
  const [only] = targets;
  return targets.size === 1 ? only : undefined;
}

export function decideStageAlarm(tx: Tx, input: StageAlarmInput, pipeline: Pipeline, stage: StageSpec): { ignored?: string; value?: { releaseId?: string; runId?: string } } {
  if (!stage.watch) {
    throw new SlipwayError('INVALID_INPUT', `stage '${stage.name}' of project '${input.project}' declares no watch: an alarm after success changes nothing there; add watch: {for: 30m} to the stage`, { field: 'stage' });
  }
  const rs = tx.state.releases.get(input.releaseId);
  if (!rs || rs.release.project !== input.project) {
    throw new SlipwayError('UNKNOWN_RELEASE', `release '${input.releaseId}' does not exist in project '${input.project}'`, { field: 'releaseId' });
  }
  const sequence = stage.sequences[0]!.name;
  const pass = rs.passes.get(passKey(stage.name, sequence));
  if (!pass) return { ignored: `release ${input.releaseId} has not passed stage '${stage.name}'` };
  if (pass.alarm) return { ignored: `release ${input.releaseId} already failed in stage '${stage.name}' by alarm ${pass.alarm.name}` };
  if (pass.result === 'fail') return { ignored: `release ${input.releaseId} failed in stage '${stage.name}' already` };
  const until = pass.at + stage.watch.forMs;
  if (tx.now > until) return { ignored: `the watch window of release ${input.releaseId} in stage '${stage.name}' ended at ${new Date(until).toISOString()}` };
  const services = Object.keys(rs.release.artifacts);
  const live = services.map((s) => tx.state.live.get(liveKey(input.project, stage.name, s)));
  if (live.some((l) => !l || l.releaseId !== input.releaseId || l.runId !== pass.runId || l.state !== 'succeeded')) {
    return { ignored: `release ${input.releaseId} is no longer what runs in stage '${stage.name}'` };
  }
  const target = alarmRollbackTarget(tx.state, input.project, stage.name, input.releaseId);
  const to = target !== undefined ? tx.state.releases.get(target)?.release : undefined;
  const stopped = queuedDownstream(tx, pipeline, stage, sequence, input.releaseId);
  const alerts = input.alerts.slice(0, MAX_ALERTS).map((a) => ({ name: a.name, labels: { ...a.labels } }));
  const shown = alerts.map((a) => `${a.name}{${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(',')}}`).join(', ');
  const reason = `alarm ${input.alarm} fired in stage '${stage.name}' within ${Math.round((tx.now - pass.at) / 1000)}s of release ${input.releaseId} succeeding there${shown ? `: ${shown}` : ''}`;
  const data: ReleaseAlarmData = {
    stage: stage.name,
    sequence,
    releaseId: input.releaseId,
    runId: pass.runId,
    alarm: input.alarm,
    alerts,
    ...(to ? { rollbackTo: to.id } : {}),
    ...(stopped.length > 0 ? { stopped: stopped.map((r) => r.id) } : {}),
    reason: to ? reason : `${reason}; no earlier good release is known there, so nothing is rolled back`,
  };
  tx.emit(eventTypes.releaseAlarm, { project: input.project, stage: stage.name, subject: input.releaseId }, data);
  for (const run of stopped) abortRun(tx, run, `alarm ${input.alarm} fired in stage '${stage.name}' after release ${input.releaseId} passed it`);
  if (!to) return { value: { releaseId: input.releaseId } };
  const run = queueRollback(tx, to, stage, pipeline.version, `automatic: ${reason}`);
  return { value: { releaseId: to.id, runId: run.id } };
}

/** Queued runs of the release in the stages this stage's sequence fires: they are stopped before they start. */
function queuedDownstream(tx: Tx, pipeline: Pipeline, stage: StageSpec, sequence: string, releaseId: string): Run[] {
  const stopped: Run[] = [];
  for (const down of pipeline.stages) {
    for (const seq of down.sequences) {
      if (!seq.triggeredOn.some((t) => t.stage === stage.name && t.sequence === sequence)) continue;
      const run = openRun(tx.state, pipeline.name, down.name, releaseId, seq.name);
      if (run?.state === 'queued') stopped.push(run);
    }
  }
  return stopped;
}
