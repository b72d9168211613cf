/**
 * Schedules and promotion holds as the log records them: `evolve` applies their events to
 * `state.schedules` and `state.holds`, and the engine folds the same events back in at start
 * (they are not projections of their own).
 */
import type { PromotionHeldData, ScheduleArmedData, ScheduleFireData, SlipwayEvent } from './events.js';
import { eventTypes } from './events.js';
import type { ScheduleState } from './model.js';
import type { CoreState } from './state.js';
import { stageKey } from './state.js';

/** Types folded back at start, in log order. */
export const AUTOMATION_EVENT_TYPES: readonly string[] = [
  eventTypes.scheduleArmed,
  eventTypes.scheduleDisarmed,
  eventTypes.scheduleFired,
  eventTypes.scheduleSkipped,
  eventTypes.promotionHeld,
  eventTypes.promotionResumed,
];

export function evolveSchedule(state: CoreState, ev: SlipwayEvent, at: number): void {
  const d = ev.data as unknown as ScheduleArmedData & Partial<ScheduleFireData>;
  const key = stageKey(ev.project, d.stage);
  if (ev.type === eventTypes.scheduleDisarmed) {
    state.schedules.delete(key);
    return;
  }
  const prev = state.schedules.get(key);
  const next: ScheduleState = { project: ev.project, stage: d.stage, cron: d.cron, timeZone: d.timeZone, ...(d.next !== undefined ? { next: d.next } : {}) };
  if (ev.type === eventTypes.scheduleArmed) {
    if (prev?.last) next.last = prev.last;
  } else {
    next.last = {
      dueAt: d.dueAt ?? at,
      at,
      fired: ev.type === eventTypes.scheduleFired,
      ...(d.releaseId !== undefined ? { releaseId: d.releaseId } : {}),
      ...(d.runId !== undefined ? { runId: d.runId } : {}),
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
    };
  }
  state.schedules.set(key, next);
}

export function evolveHold(state: CoreState, ev: SlipwayEvent, at: number): void {
  const d = ev.data as unknown as PromotionHeldData;
  const key = stageKey(ev.project, d.stage);
  if (ev.type === eventTypes.promotionResumed) {
    state.holds.delete(key);
    return;
  }
  state.holds.set(key, { project: ev.project, stage: d.stage, by: d.by, at, releaseId: d.releaseId, automationWould: d.automationWould, how: d.how });
}
