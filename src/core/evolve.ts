/**
 * Applies one event to the state. The event log is the source of truth: replaying it
 * through `evolve` from an empty state rebuilds every run, pass and live entry.
 * This is the only function that changes CoreState.
 */
import type { ReleaseAlarmData } from './events.js';
import type { FreezeOverriddenData, ReleaseCreatedData, RollbackData, RunLoopStoppedData, RunFinishedData, RunFrozenData, RunQueuedData, RunStartedData, RunStateData, SlipwayEvent, TaskEventData } from './events.js';
import { eventTypes, parseTaskEventType } from './events.js';
import { foldApproval } from './approval-log.js';
import { evolveHold, evolveSchedule } from './automation-log.js';
import { SCHEMA_CHANGED, evolveSchema } from './schema-changes.js';
import { evolveFlag, inheritFlags } from './flags.js';
import type { Run } from './model.js';
import { worst } from './model.js';
import type { CoreState } from './state.js';
import { artifactKey, indexFinished, indexRun, indexStarted, isTerminal, liveKey, passKey } from './state.js';

export function evolve(state: CoreState, ev: SlipwayEvent): void {
  const at = Date.parse(ev.time);
  switch (ev.type) {
    case eventTypes.releaseCreated: {
      const { release } = ev.data as unknown as ReleaseCreatedData;
      if (!state.releases.has(release.id)) {
        state.releases.set(release.id, { release, passes: new Map() });
        state.dirty.releases.add(release.id);
      }
      return;
    }
    case eventTypes.releasePromotable:
      return;
    case eventTypes.scheduleArmed:
    case eventTypes.scheduleDisarmed:
    case eventTypes.scheduleFired:
    case eventTypes.scheduleSkipped:
      evolveSchedule(state, ev, at);
      return;
    case eventTypes.promotionHeld:
    case eventTypes.promotionResumed:
      evolveHold(state, ev, at);
      return;
    case SCHEMA_CHANGED:
      evolveSchema(state, ev);
      return;
    case eventTypes.runLoopStopped: {
      // Kept on the run so its release's outcome can say why the loop ended.
      const run = mustRun(state, ev);
      run.loopStopped = (ev.data as unknown as RunLoopStoppedData).reason;
      touch(state, run);
      return;
    }
    case eventTypes.releaseRollback: {
      // An automatic rollback names the failed run it answers: its outcome reads "failed, rolled back".
      const d = ev.data as unknown as RollbackData;
      const failed = d.runId !== undefined ? state.runs.get(d.runId) : undefined;
      if (failed && d.releaseId !== '') {
        failed.rolledBackTo = d.releaseId;
        touch(state, failed);
      }
      return;
    }
    case eventTypes.flagChanged:
      evolveFlag(state, ev);
      return;
    case eventTypes.releaseAlarm:
      evolveAlarm(state, ev.data as unknown as ReleaseAlarmData, at);
      return;
    case eventTypes.releaseApproval:
      foldApproval(state, ev);
      return;
    case eventTypes.runQueued: {
      const run = structuredClone((ev.data as unknown as RunQueuedData).run);
      state.runs.set(run.id, run);
      state.queueSeq = Math.max(state.queueSeq, run.queueSeq);
      indexRun(state, run);
      touch(state, run);
      return;
    }
    case eventTypes.runStarted: {
      const run = mustRun(state, ev);
      const d = ev.data as unknown as RunStartedData;
      run.state = 'running';
      run.startedAt = at;
      run.step = d.step;
      indexStarted(state, run);
      touch(state, run);
      setLive(state, run, at, true);
      inheritFlags(state, run);
      return;
    }
    case eventTypes.runWaiting:
    case eventTypes.runPaused:
    case eventTypes.runResumed: {
      const run = mustRun(state, ev);
      const d = ev.data as unknown as RunStateData;
      if (ev.type === eventTypes.runPaused) run.pausedFrom = run.state;
      else if (ev.type === eventTypes.runResumed) delete run.pausedFrom;
      run.state = d.state;
      touch(state, run);
      setLive(state, run, at, false);
      return;
    }
    case eventTypes.runFinished:
      finishRun(state, mustRun(state, ev), ev.data as unknown as RunFinishedData, at);
      return;
    case eventTypes.runFrozen:
    case eventTypes.runThawed:
    case eventTypes.runFreezeOverridden:
      evolveFreeze(mustRun(state, ev), ev, at);
      touch(state, mustRun(state, ev));
      return;
  }
  const t = parseTaskEventType(ev.type);
  if (t) evolveTask(state, ev, t.task, t.phase, at);
}

function evolveTask(state: CoreState, ev: SlipwayEvent, name: string, phase: string, at: number): void {
  const run = mustRun(state, ev);
  const task = run.tasks.find((x) => x.name === name);
  if (!task) throw new Error(`event ${ev.id}: run ${run.id} has no task '${name}'`);
  const d = ev.data as unknown as TaskEventData;
  switch (phase) {
    case 'scheduled':
      task.state = 'scheduled';
      task.attempt = d.attempt;
      // The timer's due time: when a delayed (`triggeredAfter`) or retried task is triggered.
      if (d.dueAt !== undefined) task.waitUntil = d.dueAt;
      delete task.result;
      delete task.message;
      delete task.claim;
      run.step = task.step;
      break;
    case 'triggered':
      task.state = 'triggered';
      task.attempt = d.attempt;
      task.triggeredAt = at;
      task.triggerEventId = ev.id;
      if (d.dueAt !== undefined) task.deadline = d.dueAt;
      delete task.waitUntil;
      delete task.result;
      delete task.message;
      // A new attempt starts without the last one's progress.
      delete task.data;
      delete task.claim;
      run.step = task.step;
      break;
    case 'started':
      task.state = 'started';
      task.startedAt = at;
      // Events written before claims carried lease tokens have no hash: such a task has no holder.
      if (d.executor !== undefined && d.leaseHash !== undefined) task.claim = { executor: d.executor, leaseHash: d.leaseHash };
      break;
    case 'waiting':
      task.state = 'waiting';
      if (d.dueAt !== undefined) task.waitUntil = d.dueAt;
      else delete task.waitUntil;
      if (d.waitingFor !== undefined) task.waitingFor = d.waitingFor;
      else delete task.waitingFor;
      if (d.message !== undefined) task.message = d.message;
      if (d.output !== undefined) task.data = d.output;
      break;
    case 'signaled':
      // The executor works on the answer now: the task is no longer waiting (a second answer is refused).
      task.state = 'started';
      delete task.waitUntil;
      delete task.waitingFor;
      break;
    case 'finished': {
      task.state = 'finished';
      task.result = d.result ?? 'fail';
      task.finishedAt = at;
      if (d.message !== undefined) task.message = d.message;
      if (d.output !== undefined) task.data = d.output;
      if (d.by !== undefined) task.by = d.by;
      delete task.waitUntil;
      delete task.waitingFor;
      if (!(ev.data as { willRetry?: boolean }).willRetry) {
        const counted = task.result === 'fail' && continues(run, name) ? 'warning' : task.result;
        run.result = worst(run.result, counted);
      }
      break;
    }
    case 'skipped':
      task.state = 'skipped';
      if (d.message !== undefined) task.message = d.message;
      run.step = Math.max(run.step, task.step);
      break;
  }
  touch(state, run);
}

/** A task with continueOnFailure counts a failure as a warning for its run (as Azure's "succeeded with issues"). */
function continues(run: Run, task: string): boolean {
  for (const step of run.spec.steps) for (const t of step.tasks) if (t.name === task) return t.continueOnFailure;
  return false;
}

function finishRun(state: CoreState, run: Run, d: RunFinishedData, at: number): void {
  const from = run.state;
  run.state = d.state;
  if (d.result !== undefined) run.result = d.result;
  run.finishedAt = at;
  if (d.reason !== undefined) run.reason = d.reason;
  delete run.pausedFrom;
  delete run.frozen;
  touch(state, run);
  indexFinished(state, run, from);
  if (run.startedAt !== undefined) setLive(state, run, at, false);
  // Any other sequence that deployed and succeeded (Keptn's `delivery-direct`) now sets what is live.
  if (d.state === 'succeeded' && !isPrimary(state, run) && deploys(run)) setLive(state, run, at, true, true);
  if (d.state === 'aborted' || run.result === undefined) return;
  const result = run.result;
  const taskResults: Record<string, 'pass' | 'warning' | 'fail'> = {};
  for (const t of run.tasks) if (t.result) taskResults[t.name] = t.result;
  const pass = { stage: run.stage, sequence: run.sequence, releaseId: run.releaseId, runId: run.id, result, at, taskResults };
  state.releases.get(run.releaseId)?.passes.set(passKey(run.stage, run.sequence), pass);
  state.dirty.stagePasses.push(pass);
  if (!isPrimary(state, run)) return;
  const release = state.releases.get(run.releaseId)?.release;
  if (!release) return;
  for (const service of run.services) {
    const artifact = release.artifacts[service] ?? '';
    const ap = { project: run.project, service, artifact, stage: run.stage, releaseId: run.releaseId, result, at };
    state.artifactPasses.get(artifactKey(run.project, service, artifact))?.set(run.stage, ap);
    state.dirty.artifactPasses.push(ap);
  }
}

/** The stage's first sequence is the one that deploys and promotes: it sets what is live. */
export function isPrimary(state: CoreState, run: Run): boolean {
  const stage = state.pipelines.get(run.project)?.stages.find((s) => s.name === run.stage);
  return (stage?.sequences[0]?.name ?? run.sequence) === run.sequence;
}

/** Task kinds that put an artifact in place: Slipway's `deploy` and Keptn's `deployment`. */
const DEPLOY_KINDS: ReadonlySet<string> = new Set(['deploy', 'deployment']);

function deploys(run: Run): boolean {
  return run.tasks.some((t) => DEPLOY_KINDS.has(t.kind) && t.state === 'finished' && t.result !== 'fail');
}

function setLive(state: CoreState, run: Run, at: number, started: boolean, anySequence = false): void {
  if (!anySequence && !isPrimary(state, run)) return;
  const release = state.releases.get(run.releaseId)?.release;
  for (const service of run.services) {
    const key = liveKey(run.project, run.stage, service);
    const prev = state.live.get(key);
    if (!started && prev?.runId !== run.id) continue;
    const entry = {
      ...prev,
      project: run.project,
      stage: run.stage,
      service,
      releaseId: run.releaseId,
      artifact: release?.artifacts[service] ?? prev?.artifact ?? '',
      runId: run.id,
      state: run.state,
      since: started ? at : (prev?.since ?? at),
    };
    if (isTerminal(run) && run.state === 'succeeded') {
      // Kept so an alarm in the watch window knows where the stage goes back to.
      if (prev?.lastGoodReleaseId !== undefined && prev.lastGoodReleaseId !== run.releaseId) {
        entry.previousGoodReleaseId = prev.lastGoodReleaseId;
        if (prev.lastGoodArtifact !== undefined) entry.previousGoodArtifact = prev.lastGoodArtifact;
      }
      entry.lastGoodReleaseId = run.releaseId;
      entry.lastGoodArtifact = entry.artifact;
    }
    state.live.set(key, entry);
    state.dirty.live.add(key);
  }
}

function evolveFreeze(run: Run, ev: SlipwayEvent, at: number): void {
  if (ev.type === eventTypes.runFrozen) {
    const d = ev.data as unknown as RunFrozenData;
    run.frozen = { windows: d.windows, until: d.until, since: run.frozen?.since ?? at, ...(d.atLeast ? { atLeast: true } : {}), ...(d.reason !== undefined ? { reason: d.reason } : {}) };
    return;
  }
  if (ev.type === eventTypes.runFreezeOverridden) {
    const d = ev.data as unknown as FreezeOverriddenData;
    run.freezeOverride = { by: d.by, reason: d.reason, at, windows: d.windows };
  }
  delete run.frozen;
}

/**
 * An alarm in the watch window: the release's pass in the stage (and its artifacts' passes
 * there) become failures, and it is no longer the stage's last good release.
 */
function evolveAlarm(state: CoreState, d: ReleaseAlarmData, at: number): void {
  const rs = state.releases.get(d.releaseId);
  if (!rs) return;
  const key = passKey(d.stage, d.sequence);
  const pass = rs.passes.get(key);
  if (pass) {
    const failed = { ...pass, result: 'fail' as const, alarm: { name: d.alarm, at } };
    rs.passes.set(key, failed);
    state.dirty.stagePasses.push(failed);
  }
  const { project, artifacts } = rs.release;
  for (const [service, artifact] of Object.entries(artifacts)) {
    const ap = { project, service, artifact, stage: d.stage, releaseId: d.releaseId, result: 'fail' as const, at };
    state.artifactPasses.get(artifactKey(project, service, artifact))?.set(d.stage, ap);
    state.dirty.artifactPasses.push(ap);
    const lk = liveKey(project, d.stage, service);
    const live = state.live.get(lk);
    if (!live || live.lastGoodReleaseId !== d.releaseId) continue;
    const entry = { ...live };
    delete entry.lastGoodReleaseId;
    delete entry.lastGoodArtifact;
    delete entry.previousGoodReleaseId;
    delete entry.previousGoodArtifact;
    if (live.previousGoodReleaseId !== undefined) {
      entry.lastGoodReleaseId = live.previousGoodReleaseId;
      if (live.previousGoodArtifact !== undefined) entry.lastGoodArtifact = live.previousGoodArtifact;
    }
    state.live.set(lk, entry);
    state.dirty.live.add(lk);
  }
}

function touch(state: CoreState, run: Run): void {
  state.dirty.runs.add(run.id);
}

function mustRun(state: CoreState, ev: SlipwayEvent): Run {
  const run = ev.runid ? state.runs.get(ev.runid) : undefined;
  if (!run) throw new Error(`event ${ev.id} (${ev.type}) refers to run ${ev.runid ?? '(none)'}, which is not loaded`);
  return run;
}
