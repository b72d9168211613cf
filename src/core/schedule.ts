/**
 * Promotion schedules: a stage with `promotion: {schedule: …}` takes a release at the times
 * its cron names in its zone. Each stage has one durable timer (`schedule:<project>:<stage>`)
 * due at the next fire time; the calendar (cron, zones, clock changes) lives outside the core
 * and is asked through `ctx.nextFire`.
 *
 * At a fire, the release selection.ts picks enters the stage as automation (freeze windows
 * for automation hold it), unless the fire is skipped, with an event saying why:
 * - `held`: a person's older choice holds automatic promotion (holds.ts);
 * - `nothing-passed`: no release qualifies;
 * - `not-new`: `onlyIfNew` and the release already ran there (whatever its result);
 * - `in-progress`: the release is queued or running there now;
 * - `missed`: Slipway was down at the fire time and the schedule says `missed: skip`.
 * A fire decided more than MISSED_AFTER_MS after its time was missed: with `run-once` (the
 * default) it fires once, however many times were missed, marked late. Then the next time
 * after now is armed.
 */
import type { ScheduleArmedData, ScheduleDisarmedData, ScheduleFireData, ScheduleSkipCode } from './events.js';
import { eventTypes } from './events.js';
import { activeRunFor, queueRun } from './flow.js';
import { heldReason, holdOf } from './holds.js';
import type { ScheduleFire, ScheduleSyncInput, TimerInput } from './inputs.js';
import type { Pipeline, ScheduleSpec, StageSpec } from './pipeline.js';
import { automationCandidate, selectionOf } from './selection.js';
import { passKey, stageKey } from './state.js';
import type { Tx } from './tx.js';

/** A fire decided this long after its time counts as missed (Slipway was not running then). */
export const MISSED_AFTER_MS = 60_000;

export const SCHEDULE_PURPOSE = 'schedule.fire';

export const scheduleTimerId = (project: string, stage: string): string => `schedule:${project}:${stage}`;

export interface ScheduleOutcomeValue {
  releaseId?: string;
  runId?: string;
}

/** Arms each scheduled stage whose schedule is new or changed; drops the timers of schedules gone. */
export function syncSchedules(tx: Tx, p: Pipeline, _input: ScheduleSyncInput): number {
  let changed = 0;
  for (const stage of p.stages) {
    const spec = stage.schedule;
    if (!spec) continue;
    const cur = tx.state.schedules.get(stageKey(p.name, stage.name));
    if (cur && cur.cron === spec.cron && cur.timeZone === spec.timeZone) continue;
    arm(tx, p, stage, spec, tx.now, true);
    changed++;
  }
  for (const cur of [...tx.state.schedules.values()]) {
    if (cur.project !== p.name || p.stages.some((s) => s.name === cur.stage && s.schedule)) continue;
    disarm(tx, p.name, cur.stage, `stage '${cur.stage}' has no schedule in pipeline version ${p.version}`);
    changed++;
  }
  return changed;
}

/** Sets the stage's timer at the first fire after `after`; `announce`: record it as a `schedule.armed` event (a fire records its own). */
function arm(tx: Tx, p: Pipeline, stage: StageSpec, spec: ScheduleSpec, after: number, announce: boolean): number | undefined {
  const next = tx.ctx.nextFire?.(spec, after);
  const id = scheduleTimerId(p.name, stage.name);
  if (announce) {
    const d: ScheduleArmedData = { stage: stage.name, cron: spec.cron, timeZone: spec.timeZone, ...(next !== undefined ? { next } : {}) };
    tx.emit(eventTypes.scheduleArmed, { project: p.name, stage: stage.name }, d);
  }
  if (next === undefined) tx.effect({ type: 'cancelTimer', id });
  else tx.effect({ type: 'setTimer', timer: { id, project: p.name, dueAt: next, input: fireInput(id, { project: p.name, stage: stage.name, dueAt: next }) } });
  return next;
}

/** The timer's input (the engine gives it its id when it fires). */
function fireInput(timerId: string, schedule: ScheduleFire): TimerInput {
  return { id: '', type: 'timer', timerId, purpose: SCHEDULE_PURPOSE, taskId: '', schedule };
}

function disarm(tx: Tx, project: string, stage: string, reason: string): void {
  const d: ScheduleDisarmedData = { stage, reason };
  tx.emit(eventTypes.scheduleDisarmed, { project, stage }, d);
  tx.effect({ type: 'cancelTimer', id: scheduleTimerId(project, stage) });
}

/** How many fire times of `spec` fell in [dueAt, now] (at most 1000 counted). */
function missedCount(tx: Tx, spec: ScheduleSpec, dueAt: number): number {
  let n = 1;
  for (let t = tx.ctx.nextFire?.(spec, dueAt); t !== undefined && t <= tx.now && n < 1000; t = tx.ctx.nextFire?.(spec, t)) n++;
  return n;
}

export function fireSchedule(tx: Tx, input: ScheduleFire & { timerId: string }): { ignored?: string; value?: ScheduleOutcomeValue } {
  const p = tx.state.pipelines.get(input.project);
  const stage = p?.stages.find((s) => s.name === input.stage);
  const spec = stage?.schedule;
  const cur = tx.state.schedules.get(stageKey(input.project, input.stage));
  // The project, the stage or its schedule is gone: a timer left behind stops here.
  if (!p || !stage || !spec || !cur) {
    if (cur) disarm(tx, input.project, input.stage, `stage '${input.stage}' has no schedule any more`);
    else tx.effect({ type: 'cancelTimer', id: input.timerId });
    return { ignored: `schedule of stage '${input.stage}' in project '${input.project}' is gone` };
  }
  // A fire for a time no longer armed (the schedule changed while it was on its way) changes nothing.
  if (cur.next !== input.dueAt) return { ignored: `schedule of stage '${stage.name}' is armed for ${cur.next ?? 'never'}, not ${input.dueAt}` };
  const next = arm(tx, p, stage, spec, Math.max(tx.now, input.dueAt), false);
  const base = { stage: stage.name, cron: spec.cron, timeZone: spec.timeZone, dueAt: input.dueAt, ...(next !== undefined ? { next } : {}), selection: selectionOf(stage) };
  const where = { project: p.name, stage: stage.name };
  const skip = (code: ScheduleSkipCode, reason: string, releaseId?: string): { ignored?: string; value?: ScheduleOutcomeValue } => {
    const d: ScheduleFireData = { ...base, code, reason, ...(releaseId !== undefined ? { releaseId } : {}) };
    tx.emit(eventTypes.scheduleSkipped, where, d);
    return { value: releaseId !== undefined ? { releaseId } : {} };
  };
  const late = tx.now - input.dueAt > MISSED_AFTER_MS;
  if (late && spec.missed === 'skip') {
    const n = missedCount(tx, spec, input.dueAt);
    return skip('missed', `Slipway was not running at ${new Date(input.dueAt).toISOString()}${n > 1 ? ` (and ${n - 1} later fire time${n > 2 ? 's' : ''})` : ''}; the schedule says missed: skip`);
  }
  const hold = holdOf(tx, p.name, stage.name);
  if (hold) return skip('held', heldReason(hold, p.name));
  const { release, why } = automationCandidate(tx.state, p, stage);
  if (!release) return skip('nothing-passed', why ?? 'no release qualifies');
  const sequence = stage.sequences[0]!;
  const open = activeRunFor(tx, release.id, stage.name, sequence.name, p.name);
  if (open) return skip('in-progress', `release ${release.id} is already ${open.state} in '${stage.name}' (run ${open.id})`, release.id);
  if (spec.onlyIfNew && tx.state.releases.get(release.id)?.passes.has(passKey(stage.name, sequence.name))) {
    return skip('not-new', `release ${release.id} already ran in '${stage.name}' and the schedule says onlyIfNew`, release.id);
  }
  const run = queueRun(tx, release, stage, sequence, p.version, undefined, 'automation');
  const d: ScheduleFireData = {
    ...base,
    releaseId: release.id,
    runId: run.id,
    ...(late ? { late: true, reason: `fired late: Slipway was not running at ${new Date(input.dueAt).toISOString()}; the schedule says missed: run-once` } : {}),
  };
  tx.emit(eventTypes.scheduleFired, where, d);
  return { value: { releaseId: release.id, runId: run.id } };
}
