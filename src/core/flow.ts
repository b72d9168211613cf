/**
 * How runs move: queueing (FIFO or supersede), the per stage-and-service lock, stepping
 * through tasks, finishing, and what a finished run sets off downstream.
 */
import { restoreFlags } from './flags.js';
import type { RunLoopStoppedData } from './events.js';
import { eventTypes } from './events.js';
import { freezeOf, holdRun, thawRun } from './freeze.js';
import type { Release, Run, RunOrigin, TaskRun } from './model.js';
import { taskId, worst } from './model.js';
import type { SequenceSpec, StageSpec } from './pipeline.js';
import { DEFAULT_MAX_REMEDIATION_LOOPS } from './pipeline.js';
import { autoPromotionWithheld, downstreamTargets } from './promotion.js';
import { changeRunState } from './run-states.js';
import { liveKey, openRun, stageIndex, stageLive } from './state.js';
import { ACTIVE_TASK_STATES, conditionHolds, failing, finishTask, scheduleTask, skipTask, specOf, triggerTask } from './tasks.js';
import type { Tx } from './tx.js';

export function activeRunFor(tx: Tx, releaseId: string, stage: string, sequence: string, project: string): Run | undefined {
  return openRun(tx.state, project, stage, releaseId, sequence);
}

/** Queued runs of a stage, in queue order. */
function queuedRuns(tx: Tx, project: string, stage: string): Run[] {
  return [...stageIndex(tx.state, project, stage).queued].map((id) => tx.state.runs.get(id)!);
}

/** Queues the release into a stage's sequence, unless it is already queued or running there. */
export function queueRun(
  tx: Tx,
  release: Release,
  stage: StageSpec,
  given: SequenceSpec,
  pipelineVersion: string,
  cause?: Run['cause'],
  origin: RunOrigin = 'automation',
  upstream?: Upstream,
): Run {
  const existing = activeRunFor(tx, release.id, stage.name, given.name, release.project);
  if (existing) return existing;
  const sequence = cause === 'rollback' ? rollbackSequence(given) : given;
  const id = `run-${tx.nextId('run')}`;
  const tasks: TaskRun[] = [];
  sequence.steps.forEach((step, i) => {
    for (const t of step.tasks) tasks.push({ name: t.name, kind: t.kind, step: i, state: 'pending', attempt: 1 });
  });
  const run: Run = {
    id,
    project: release.project,
    stage: stage.name,
    sequence: sequence.name,
    releaseId: release.id,
    services: Object.keys(release.artifacts).sort(),
    state: 'queued',
    spec: sequence,
    pipelineVersion,
    step: 0,
    tasks,
    queuedAt: tx.now,
    queueSeq: tx.state.queueSeq + 1,
    ...(tx.by !== undefined ? { triggeredBy: tx.by } : {}),
    ...(cause ? { cause } : {}),
    origin,
    ...(upstream ? { carriedFrom: upstream.run.id, loops: upstream.loops, ...(upstream.run.result ? { carriedResult: upstream.run.result } : {}) } : {}),
  };
  tx.emit(eventTypes.runQueued, { project: run.project, stage: run.stage, run }, { run });
  const queued = tx.state.runs.get(id)!;
  if (stage.queue === 'supersede') supersede(tx, queued);
  schedule(tx, run.project, run.stage);
  return tx.state.runs.get(id)!;
}

/** The finished run that queues another, and the loop counts the new run carries. */
export interface Upstream {
  run: Run;
  loops: Readonly<Record<string, number>>;
}

const loopKey = (stage: string, sequence: string): string => `${stage}/${sequence}`;

/**
 * What a rollback runs: the stage's `deploy` tasks, switching at once (strategy direct), so
 * a warm previous version takes the traffic back and the bad one is retired. A stage
 * without deploy tasks (its own scripts deploy) runs its whole sequence again.
 */
function rollbackSequence(seq: SequenceSpec): SequenceSpec {
  const deploys = seq.steps
    .map((step) => ({ tasks: step.tasks.filter((t) => t.kind === 'deploy').map((t) => ({ ...t, properties: directly(t.properties), if: { kind: 'success' as const } })) }))
    .filter((step) => step.tasks.length > 0);
  return deploys.length > 0 ? { ...seq, steps: deploys } : withoutAlarmHolds(seq);
}

/** A deploy's properties switched to strategy direct: the settings of other strategies (canary steps, a dark launch's mirror) would be refused. */
function directly(props: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const { steps: _steps, mirror: _mirror, darkFor: _darkFor, analysis: _analysis, ...rest } = props;
  return { ...rest, strategy: 'direct' };
}

/**
 * A rollback is not held by alarms (they fire until the bad version is gone): its soaks do
 * not watch them and the check that no upstream alarm fires (`alarm-check`) is left out.
 */
function withoutAlarmHolds(seq: SequenceSpec): SequenceSpec {
  const steps = seq.steps
    .map((step) => ({
      tasks: step.tasks
        // A rollback restores flags by the record (flags.ts restoreFlags), not by ramping again.
        .filter((t) => t.kind !== 'alarm-check' && t.kind !== 'flag')
        .map((t) => (t.kind === 'wait' && t.properties.alarms !== undefined ? { ...t, properties: { ...t.properties, alarms: [] } } : t)),
    }))
    .filter((step) => step.tasks.length > 0);
  return { ...seq, steps };
}

/** Puts `to` back into the stage: records why, then queues a run that does not promote downstream. */
export function queueRollback(tx: Tx, to: Release, stage: StageSpec, pipelineVersion: string, reason: string | undefined, failedRun?: string): Run {
  const from = Object.fromEntries(stageLive(tx.state, to.project, stage.name).map((l) => [l.service, l.releaseId]));
  tx.emit(
    eventTypes.releaseRollback,
    { project: to.project, stage: stage.name, subject: to.id },
    { stage: stage.name, from, releaseId: to.id, ...(reason !== undefined ? { reason } : {}), ...(tx.by !== undefined ? { by: tx.by } : {}), ...(failedRun !== undefined ? { runId: failedRun } : {}) },
  );
  restoreFlags(tx, to.project, stage.name, to.id, reason);
  return queueRun(tx, to, stage, stage.sequences[0]!, pipelineVersion, 'rollback');
}

/**
 * A run that failed after its new version took live traffic (and whose deploy did not
 * already restore it) puts the stage's last good release back, once: a rollback run that
 * fails does not roll back again.
 */
function autoRollback(tx: Tx, run: Run): void {
  if (run.state !== 'failed' || run.cause === 'rollback') return;
  const outputs = run.tasks.map((t) => (t.data ?? {}) as { traffic?: unknown; rolledBack?: unknown; alarmFired?: unknown });
  // A soak ended by an alarm says the release is live and hurting, whatever deployed it (a script too).
  if (!outputs.some((o) => o.traffic === true || o.alarmFired !== undefined)) return;
  const restoredBy = run.tasks.find((t) => (t.data as { rolledBack?: unknown } | undefined)?.rolledBack === true);
  if (restoredBy) {
    // The deploy already put the previous version back: record it, run nothing more.
    const from = Object.fromEntries(run.services.map((s) => [s, run.releaseId]));
    const back = tx.state.live.get(liveKey(run.project, run.stage, run.services[0]!))?.lastGoodReleaseId;
    const reason = `automatic: ${restoredBy.name} restored the previous version (${restoredBy.message ?? 'failed'})`;
    tx.emit(eventTypes.releaseRollback, { project: run.project, stage: run.stage, subject: back ?? run.releaseId }, { stage: run.stage, from, releaseId: back ?? '', reason, runId: run.id });
    if (back !== undefined) restoreFlags(tx, run.project, run.stage, back, reason);
    return;
  }
  const pipeline = tx.state.pipelines.get(run.project);
  const stage = pipeline?.stages.find((s) => s.name === run.stage);
  const good = new Set(run.services.map((s) => tx.state.live.get(liveKey(run.project, run.stage, s))?.lastGoodReleaseId));
  const target = good.size === 1 ? [...good][0] : undefined;
  const release = target ? tx.state.releases.get(target)?.release : undefined;
  if (!pipeline || !stage || !release) return;
  const failed = run.tasks.find((t) => t.result === 'fail');
  const failedTask = failed?.name ?? 'a task';
  // An alarm names what hurt: the reason carries it (the soak's message names the alerts).
  const alarm = (failed?.data as { alarmFired?: unknown } | undefined)?.alarmFired !== undefined ? `: ${failed?.message ?? 'an alarm fired'}` : '';
  queueRollback(tx, release, stage, pipeline.version, `automatic: ${failedTask} failed in run ${run.id} after release ${run.releaseId} took traffic${alarm}`, run.id);
}

/** A newer queued release replaces older queued ones whose services it covers; running runs are never touched. */
function supersede(tx: Tx, newer: Run): void {
  for (const older of queuedRuns(tx, newer.project, newer.stage)) {
    if (older.id === newer.id || older.sequence !== newer.sequence) continue;
    if (older.services.every((s) => newer.services.includes(s))) {
      changeRunState(tx, older, 'aborted', { reason: `superseded by release ${newer.releaseId}` });
    }
  }
}

/**
 * Starts every queued run of the stage that can start: runs sharing a service with an
 * active run wait, and so does every later run sharing a service with a waiting one (FIFO).
 */
export function schedule(tx: Tx, project: string, stage: string): void {
  const ix = stageIndex(tx.state, project, stage);
  if (ix.queued.size === 0) return;
  const blocked = new Set<string>(ix.busy.keys());
  for (const r of queuedRuns(tx, project, stage)) {
    if (r.state !== 'queued') continue;
    const free = r.services.every((s) => !blocked.has(s));
    // A run is checked when it could start; one held earlier is checked again so it does not show a freeze that ended.
    const hold = free || r.frozen ? freezeOf(tx, r) : undefined;
    if (hold) {
      // Held runs do not block the queue: a run the window lets through may pass (see freeze.ts).
      holdRun(tx, r, hold);
      continue;
    }
    if (r.frozen) thawRun(tx, r, `freeze window ${r.frozen.windows.join(', ')} ended`);
    for (const s of r.services) blocked.add(s);
    if (free) {
      changeRunState(tx, r, 'running');
      advance(tx, r);
    }
  }
}

/** Moves a running run forward: starts the next step, or finishes the run when none is left. */
export function advance(tx: Tx, run: Run): void {
  for (;;) {
    if (run.state !== 'running' && run.state !== 'waiting') return;
    const current = run.tasks.filter((t) => t.step === run.step);
    const active = current.filter((t) => ACTIVE_TASK_STATES.has(t.state));
    if (active.length > 0) return syncWaiting(tx, run, active);
    const pending = current.filter((t) => t.state === 'pending');
    if (pending.length > 0) {
      startStep(tx, run, pending);
      continue;
    }
    const next = run.tasks.find((t) => t.step > run.step && t.state === 'pending');
    if (!next) return finish(tx, run);
    startStep(tx, run, run.tasks.filter((t) => t.step === next.step));
  }
}

function startStep(tx: Tx, run: Run, tasks: TaskRun[]): void {
  for (const task of tasks) {
    const spec = specOf(run, task.name);
    if (!conditionHolds(run, spec)) skipTask(tx, run, task, `condition '${describeIf(spec.if)}' is false`);
    else if (spec.delayMs > 0) scheduleTask(tx, run, task, task.attempt, tx.now + spec.delayMs, 'task.delay');
    else triggerTask(tx, run, task, task.attempt);
  }
}

function describeIf(c: ReturnType<typeof specOf>['if']): string {
  if (c.kind !== 'result') return c.kind;
  return `${c.task}.result ${c.negate ? 'not in' : 'in'} [${c.results.join(', ')}]`;
}

/** A run waits when every task in flight waits on a person, a timer or a signal. */
function syncWaiting(tx: Tx, run: Run, active: TaskRun[]): void {
  const allWaiting = active.every((t) => t.state === 'waiting');
  if (allWaiting && run.state === 'running') changeRunState(tx, run, 'waiting');
  else if (!allWaiting && run.state === 'waiting') changeRunState(tx, run, 'running');
}

function finish(tx: Tx, run: Run): void {
  const failed = failing(run);
  changeRunState(tx, run, failed ? 'failed' : 'succeeded', { result: failed ? 'fail' : (run.result ?? 'pass') });
  // The rollback goes first: it queues ahead of releases waiting for the stage.
  autoRollback(tx, run);
  afterFinish(tx, run);
}

/** Frees the stage for queued runs and promotes the release to the sequences it fired. */
export function afterFinish(tx: Tx, run: Run): void {
  const pipeline = tx.state.pipelines.get(run.project);
  const release = tx.state.releases.get(run.releaseId);
  if (pipeline && release && run.state !== 'aborted' && run.result && run.cause !== 'rollback') {
    const own = loopKey(run.stage, run.sequence);
    const loops = { ...(run.loops ?? {}), [own]: (run.loops?.[own] ?? 0) + 1 };
    const limit = pipeline.maxRemediationLoops ?? DEFAULT_MAX_REMEDIATION_LOOPS;
    for (const target of downstreamTargets(pipeline, run, run.result, release)) {
      const ran = loops[loopKey(target.stage.name, target.sequence.name)] ?? 0;
      if (ran > limit) {
        stopLoop(tx, run, target.stage.name, target.sequence.name, limit, ran);
        continue;
      }
      // Manual and scheduled stages announce it; an automatic one may hold it back (promotion.ts).
      const withheld = target.stage.promotion === 'auto' ? autoPromotionWithheld(tx, pipeline, target.stage, release.release) : '';
      if (withheld !== undefined) {
        tx.emit(
          eventTypes.releasePromotable,
          { project: run.project, stage: target.stage.name, subject: release.release.id },
          { releaseId: release.release.id, stage: target.stage.name, sequence: target.sequence.name, ...(withheld ? { reason: withheld } : {}) },
        );
      } else {
        queueRun(tx, release.release, target.stage, target.sequence, pipeline.version, undefined, 'automation', { run, loops });
      }
    }
  }
  schedule(tx, run.project, run.stage);
}

/**
 * A chain of runs came back to a sequence more often than the project allows (a remediation
 * that keeps triggering itself): it is not queued again, and the event says why.
 */
function stopLoop(tx: Tx, run: Run, stage: string, sequence: string, limit: number, ran: number): void {
  const repeats = ran - 1;
  const reason =
    `sequence '${sequence}' in stage '${stage}' is not triggered again by run ${run.id} (${run.result ?? 'no result'}): ` +
    `it already ran ${ran} times in this chain (${repeats} repeats), and maxRemediationLoops allows ${limit}`;
  const d: RunLoopStoppedData = { stage, sequence, releaseId: run.releaseId, limit, loops: repeats, reason };
  tx.emit(eventTypes.runLoopStopped, { project: run.project, stage, run }, d);
}

/** Stops a run: tasks in flight are told to abort and settle; queued runs behind it may start. */
export function abortRun(tx: Tx, run: Run, reason: string): void {
  for (const task of run.tasks) {
    if (!ACTIVE_TASK_STATES.has(task.state)) continue;
    const id = taskId(run.id, task.name, task.attempt);
    if (task.state !== 'scheduled') tx.effect({ type: 'abort', taskId: id, reason });
    for (const p of ['delay', 'retry', 'lease']) tx.effect({ type: 'cancelTimer', id: `${id}:${p}` });
    finishTask(tx, run, task, { result: 'fail', message: `aborted: ${reason}` });
  }
  changeRunState(tx, run, 'aborted', { reason });
  afterFinish(tx, run);
}

/** Queues a failed or aborted run again from its first unfinished or failed step; earlier results stay. */
export function retryRun(tx: Tx, run: Run): Run {
  const failedStep = Math.min(
    ...run.tasks.filter((t) => t.state !== 'finished' || t.result === 'fail').map((t) => t.step),
    run.spec.steps.length,
  );
  const tasks = run.tasks.map((t): TaskRun => {
    if (t.step < failedStep) return t;
    return { name: t.name, kind: t.kind, step: t.step, state: 'pending', attempt: t.attempt + (t.state === 'finished' ? 1 : 0) };
  });
  let result: Run['result'];
  for (const t of tasks) if (t.step < failedStep) result = worst(result, t.result);
  const next: Run = { ...run, state: 'queued', step: failedStep, tasks, queueSeq: tx.state.queueSeq + 1, queuedAt: tx.now };
  delete next.finishedAt;
  delete next.reason;
  delete next.startedAt;
  delete next.frozen;
  delete next.freezeOverride;
  // Only a person retries a run: person-only freeze rules apply to it from now on.
  next.origin = 'person';
  if (result) next.result = result;
  else delete next.result;
  tx.emit(eventTypes.runQueued, { project: run.project, stage: run.stage, run: next }, { run: next });
  schedule(tx, run.project, run.stage);
  return tx.state.runs.get(run.id)!;
}
