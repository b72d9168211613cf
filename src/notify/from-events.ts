/**
 * Which events of the log people hear about, and what each notice says:
 *
 * | event | topic |
 * | --- | --- |
 * | `run.finished`, state failed | `run.failed` |
 * | `run.finished`, state succeeded (not a rollback run) | `stage.reached` |
 * | `task.<t>.waiting` of an `approval` task | `approval.waiting` |
 * | `release.rollback` | `rollback` |
 * | `pr.ready` (pull-request environments) | `pr.ready` |
 *
 * Freeze windows write no events when they open or close: freeze-notices.ts derives those
 * from the calendar.
 */
import type { ApprovalEventData, Release, RollbackData, Run, RunFinishedData, SlipwayEvent, TaskEventData } from '../core/index.js';
import { eventTypes, parseTaskEventType } from '../core/index.js';
import type { Actor, Notice } from './notice.js';
import { shortId } from './notice.js';
import { PR_READY, type PrReadyData } from './pr-ready.js';

/** What a notice needs beyond its event; the store answers. */
export interface NoticeLookups {
  release(id: string): Promise<Release | undefined>;
  run(id: string): Promise<Run | undefined>;
  /** The events of one run of these types. */
  runEvents(runId: string, types: string[]): Promise<SlipwayEvent[]>;
}

/** Types worth reading the log for (task waits are matched by pattern). */
export const NOTICE_TYPES: readonly string[] = [eventTypes.runFinished, eventTypes.releaseRollback, PR_READY];

export function mayNotify(type: string): boolean {
  return NOTICE_TYPES.includes(type) || parseTaskEventType(type)?.phase === 'waiting';
}

export async function noticeOf(e: SlipwayEvent, look: NoticeLookups): Promise<Notice | undefined> {
  const at = Date.parse(e.time);
  const base = { id: e.id, project: e.project, at, ...(e.runid !== undefined ? { runId: e.runid } : {}) };
  if (e.type === eventTypes.runFinished) {
    const d = e.data as unknown as RunFinishedData;
    const run = e.runid !== undefined ? await look.run(e.runid) : undefined;
    if (d.state !== 'failed' && (d.state !== 'succeeded' || run?.cause === 'rollback')) return undefined;
    const rel = await look.release(d.releaseId);
    const approvals = e.runid !== undefined ? await look.runEvents(e.runid, [eventTypes.releaseApproval]) : [];
    const decided = approvals.map((a) => a.data as unknown as ApprovalEventData).filter((a) => a.counts !== false);
    const by = (decision: string, role: string): Actor[] => [...new Set(decided.filter((a) => a.decision === decision).map((a) => a.by))].map((who) => ({ role, who }));
    if (d.state === 'failed') {
      const failed = run?.tasks.find((t) => t.result === 'fail');
      const why = d.reason ?? run?.reason ?? (failed ? `${failed.name}: ${failed.message ?? 'failed'}` : undefined);
      return { ...base, topic: 'run.failed', stage: d.stage, title: `Release ${shortId(d.releaseId)} failed in ${d.stage}`, ...releaseOf(d.releaseId, rel), actors: [...triggeredBy(rel, run), ...by('reject', 'rejected')], ...reason(why) };
    }
    const actors = [...triggeredBy(rel, run), ...by('approve', 'approved')];
    return { ...base, topic: 'stage.reached', stage: d.stage, title: `Release ${shortId(d.releaseId)} reached ${d.stage}`, ...releaseOf(d.releaseId, rel), actors };
  }
  if (e.type === eventTypes.releaseRollback) {
    const d = e.data as unknown as RollbackData;
    const actors: Actor[] = [{ role: 'rolled back', who: d.by ?? 'automation' }];
    const from = [...new Set(Object.values(d.from))].map(shortId).join(', ');
    return {
      ...base,
      ...(d.runId !== undefined ? { runId: d.runId } : {}),
      topic: 'rollback',
      stage: d.stage,
      title: `${d.stage} rolled back to release ${shortId(d.releaseId)}${from ? ` (from ${from})` : ''}`,
      ...releaseOf(d.releaseId, await look.release(d.releaseId)),
      actors,
      ...reason(d.reason),
    };
  }
  if (e.type === PR_READY) {
    const d = e.data as unknown as PrReadyData;
    const pr = { number: d.number, ...(d.environmentUrl ? { environmentUrl: d.environmentUrl } : {}), ...(d.url ? { url: d.url } : {}), ...(d.title ? { title: d.title } : {}), ...(d.branch ? { branch: d.branch } : {}) };
    const rel = d.releaseId !== undefined ? releaseOf(d.releaseId, await look.release(d.releaseId)) : {};
    const where = d.environmentUrl ? ` at ${d.environmentUrl}` : '';
    return { ...base, topic: 'pr.ready', stage: d.stage, title: `Pull request #${d.number} is ready in ${d.stage}${where}`, ...rel, pr, actors: d.author ? [{ role: 'opened', who: d.author }] : [] };
  }
  const task = parseTaskEventType(e.type);
  if (task?.phase === 'waiting') {
    const d = e.data as unknown as TaskEventData;
    if (d.kind !== 'approval') return undefined;
    const run = e.runid !== undefined ? await look.run(e.runid) : undefined;
    const rel = await look.release(d.releaseId);
    return {
      ...base,
      // One message per waiting task, however often it goes back to waiting (partial approvals).
      id: e.taskid !== undefined ? `${e.taskid}.approval-waiting` : e.id,
      topic: 'approval.waiting',
      stage: d.stage,
      title: `Release ${shortId(d.releaseId)} waits for approval in ${d.stage}`,
      ...releaseOf(d.releaseId, rel),
      actors: triggeredBy(rel, run),
      ...reason(d.waitingFor ?? d.message),
    };
  }
  return undefined;
}

function releaseOf(id: string, r: Release | undefined): Pick<Notice, 'release'> {
  const p = r?.provenance;
  return { release: { id, artifacts: r?.artifacts ?? {}, ...(p?.commit ? { commit: p.commit } : {}), ...(p?.author ? { author: p.author } : {}) } };
}

/**
 * Who set the release off (its creator), and who moved it into this stage when a person
 * did (a promotion or rollback by hand; an automatic promotion names the executor that
 * finished upstream, which no reader cares about).
 */
function triggeredBy(rel: Release | undefined, run: Run | undefined): Actor[] {
  const out: Actor[] = rel?.createdBy ? [{ role: 'triggered', who: rel.createdBy }] : [];
  const mover = run?.triggeredBy;
  if (mover && mover !== rel?.createdBy && !mover.startsWith('executor:')) out.push({ role: run?.cause === 'rollback' ? 'rolled back' : 'promoted', who: mover });
  return out;
}

function reason(r: string | undefined): { reason?: string } {
  return r ? { reason: r.length > 500 ? `${r.slice(0, 497)}...` : r } : {};
}
