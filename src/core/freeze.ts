/**
 * Freeze windows: times when a stage takes no new runs. The rule lives here; the calendar
 * (cron in a time zone, dated windows) is computed outside the core and asked through
 * `tx.ctx.freezeAt`, so decisions stay pure: the same state, input and time give the same
 * answer.
 *
 * - A run is checked when it is about to start (it is queued and its services are free).
 *   A run already running when a window begins finishes: a half-done release is worse
 *   than a late one.
 * - A held run stays `queued` with `frozen` set (event `run.frozen`), does not hold up
 *   runs behind it that the window lets through (a person's promotion during an
 *   automation-only freeze), and gets a durable timer at the window's end that re-checks.
 * - Rollback runs are never held: putting the last good release back is what a freeze
 *   must not prevent.
 * - An admin may let one held run go with a reason (`run.freeze-overridden`, audited).
 */
import type { FreezeOverriddenData, RunFrozenData, RunThawedData } from './events.js';
import type { TimerInput } from './inputs.js';
import type { FreezeHold, Run } from './model.js';
import { taskId } from './model.js';
import type { Tx } from './tx.js';
import { eventTypes } from './events.js';

export const THAW_PURPOSE = 'run.thaw';

/** The freeze holding `run` now, if any. */
export function freezeOf(tx: Tx, run: Run): FreezeHold | undefined {
  if (run.cause === 'rollback' || run.freezeOverride || !tx.ctx.freezeAt) return undefined;
  return tx.ctx.freezeAt(run.project, run.stage, tx.now, run.origin ?? 'automation');
}

/** Holds a queued run: records why and until when (once per change), and arms the re-check. */
export function holdRun(tx: Tx, run: Run, hold: FreezeHold): void {
  const f = run.frozen;
  if (f && f.until === hold.until && f.windows.join('\0') === hold.windows.join('\0')) return;
  const d: RunFrozenData = {
    stage: run.stage,
    releaseId: run.releaseId,
    windows: hold.windows,
    until: hold.until,
    ...(hold.atLeast ? { atLeast: true } : {}),
    ...(hold.reason !== undefined ? { reason: hold.reason } : {}),
    origin: run.origin ?? 'automation',
  };
  tx.emit(eventTypes.runFrozen, { project: run.project, stage: run.stage, run }, d);
  armThaw(tx, run, hold.until);
}

/** The durable timer that re-checks a held run at `until`. */
export function armThaw(tx: Tx, run: Run, until: number): void {
  const input = recheckInput(run, thawTimerId(run.id));
  if (input) tx.effect({ type: 'setTimer', timer: { id: input.timerId, project: run.project, dueAt: until, input } });
}

/**
 * The input that re-checks a held run, as its timer does: the engine also sends it at once
 * when the run's pipeline changed (a window may have moved or gone). `id`: the input's id.
 */
export function recheckInput(run: Run, id: string): TimerInput | undefined {
  const anchor = thawTask(run);
  return anchor ? { id, type: 'timer', timerId: thawTimerId(run.id), purpose: THAW_PURPOSE, taskId: anchor } : undefined;
}

/** The window that held `run` no longer does: it may start (or wait its turn). */
export function thawRun(tx: Tx, run: Run, reason: string): void {
  if (!run.frozen) return;
  const d: RunThawedData = { stage: run.stage, releaseId: run.releaseId, windows: run.frozen.windows, reason };
  tx.emit(eventTypes.runThawed, { project: run.project, stage: run.stage, run }, d);
  tx.effect({ type: 'cancelTimer', id: thawTimerId(run.id) });
}

/** An admin lets one held run go; the event names who and why. */
export function overrideFreeze(tx: Tx, run: Run, reason: string): void {
  const d: FreezeOverriddenData = { stage: run.stage, releaseId: run.releaseId, windows: run.frozen?.windows ?? [], by: tx.by ?? 'anonymous', reason };
  tx.emit(eventTypes.runFreezeOverridden, { project: run.project, stage: run.stage, run }, d);
  tx.effect({ type: 'cancelTimer', id: thawTimerId(run.id) });
}

export function thawTimerId(runId: string): string {
  return `${runId}:thaw`;
}

/**
 * Timer inputs name a task so the engine loads its run; a thaw timer names the run's
 * first task of the step it starts at (any task would do).
 */
function thawTask(run: Run): string | undefined {
  const t = run.tasks.find((x) => x.step === run.step) ?? run.tasks[0];
  return t ? taskId(run.id, t.name, t.attempt) : undefined;
}
