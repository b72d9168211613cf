/**
 * Folding `sh.slipway.release.approval` events into the state: an approval on a task joins
 * the task (and so the run's projection), one given ahead joins its release's pending list
 * until a task counts it. The engine also calls `foldApproval` with the log's approval
 * events when it loads a release, which is how pending ones survive a restart.
 */
import type { ApprovalRecord } from './approval-policy.js';
import type { ApprovalEventData, SlipwayEvent } from './events.js';
import type { AheadApproval, CoreState, ReleaseState } from './state.js';

export function recordOf(d: ApprovalEventData): ApprovalRecord {
  return {
    by: d.by,
    groups: d.groups,
    decision: d.decision,
    at: d.givenAt,
    ...(d.comment !== undefined ? { comment: d.comment } : {}),
    ...(d.ahead ? { ahead: true } : {}),
  };
}

export function foldApproval(state: CoreState, ev: SlipwayEvent): void {
  const d = ev.data as unknown as ApprovalEventData;
  const rs = state.releases.get(d.releaseId);
  if (ev.runid === undefined) {
    if (rs) foldAhead(rs, ev);
    return;
  }
  if (d.aheadId !== undefined && rs) dropAhead(rs, d.stage, d.aheadId);
  const run = state.runs.get(ev.runid);
  const task = run?.tasks.find((t) => t.name === d.task);
  if (!run || !task) return;
  const attempt = d.attempt ?? task.attempt;
  // Approvals belong to one attempt: a retried approval task starts with none.
  task.approvals = [...(task.approvals ?? []).filter((a) => a.attempt === attempt), { ...recordOf(d), attempt }];
  if (d.progress !== undefined) task.message = d.progress;
  state.dirty.runs.add(run.id);
}

/**
 * For loading a release: its approval events (any order within the log's order), applied
 * to its pending list. Events of other releases are skipped.
 */
export function foldAhead(rs: ReleaseState, ev: SlipwayEvent): void {
  const d = ev.data as unknown as ApprovalEventData;
  if (d.releaseId !== rs.release.id) return;
  if (ev.runid !== undefined) {
    if (d.aheadId !== undefined) dropAhead(rs, d.stage, d.aheadId);
    return;
  }
  const ahead = (rs.ahead ??= new Map<string, AheadApproval[]>());
  const list = ahead.get(d.stage) ?? [];
  if (list.some((a) => a.id === ev.id)) return;
  ahead.set(d.stage, [...list, { ...recordOf(d), ahead: true, id: ev.id }]);
}

function dropAhead(rs: ReleaseState, stage: string, id: string): void {
  const list = rs.ahead?.get(stage);
  if (!list) return;
  const rest = list.filter((a) => a.id !== id);
  if (rest.length > 0) rs.ahead!.set(stage, rest);
  else rs.ahead!.delete(stage);
}
