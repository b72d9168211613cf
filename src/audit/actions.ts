/**
 * Which inputs are people's (or their tokens') actions, and the audit row each becomes.
 * The engine calls `auditOf` for every input it applied, in the transaction that writes
 * the input's events, so an action and its audit row are committed together or not at all.
 * Executors' reports (task started / finished / claimed / heartbeats), timers and the
 * alarm watcher are machinery, kept in the event log only. A row holds names, ids, stages,
 * artifact references, reasons and comments: never a secret value, never a signal's free
 * payload beyond its comment.
 */
import type { CoreState, Decision, Input } from '../core/index.js';
import type { AuditDraft } from '../store/index.js';

/** The actions the audit log records (docs/audit.md says when each is written). */
export const AuditActions = [
  'release.trigger',
  'release.promote',
  'release.rollback',
  'release.approve',
  'release.reject',
  'task.approve',
  'task.reject',
  'task.stop',
  'task.skip',
  'task.signal',
  'run.abort',
  'run.pause',
  'run.resume',
  'run.retry',
  'run.freeze-override',
  'promotion.resume-auto',
  'token.create',
  'token.revoke',
  'subscription.create',
  'subscription.delete',
  'secret.set',
  'secret.delete',
  'project.load',
  'system.backup',
  'flag.set',
] as const;
export type AuditAction = (typeof AuditActions)[number];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Drops undefined members, so the sealed row has no empty keys. */
function compact(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return Object.keys(out).length > 0 ? out : undefined;
}

function draft(at: number, input: Input, action: AuditAction, project: string | undefined, target: string | undefined, details: Record<string, unknown>): AuditDraft {
  const d = compact(details);
  return {
    at,
    actor: input.by ?? 'unknown',
    action,
    ...(project !== undefined ? { project } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(d ? { details: d } : {}),
  };
}

/** The audit row for an input the engine applied (`d` without error, not ignored); undefined for machinery. */
export function auditOf(input: Input, d: Decision, state: Readonly<CoreState>, at: number): AuditDraft | undefined {
  if (d.error || d.ignored !== undefined) return undefined;
  const eventProject = d.events[0]?.project;
  switch (input.type) {
    case 'trigger':
      return draft(at, input, 'release.trigger', input.project, d.value?.releaseId, {
        stage: input.stage,
        sequence: input.sequence,
        artifacts: input.artifacts,
        commit: input.provenance?.commit,
        runId: d.value?.runId,
        automated: input.automated,
      });
    case 'promote':
      return draft(at, input, 'release.promote', input.project, input.releaseId, { stage: input.stage, sequence: input.sequence, runId: d.value?.runId });
    case 'rollback':
      return draft(at, input, 'release.rollback', input.project, d.value?.releaseId ?? input.to, { stage: input.stage, to: input.to, reason: input.reason, runId: d.value?.runId });
    case 'release.approval': {
      const project = state.releases.get(input.releaseId)?.release.project ?? eventProject;
      return draft(at, input, input.decision === 'approve' ? 'release.approve' : 'release.reject', project, input.releaseId, { stage: input.stage, comment: input.comment, groups: input.groups });
    }
    case 'task.signal': {
      const action: AuditAction = input.signal === 'approve' || input.signal === 'reject' || input.signal === 'stop' || input.signal === 'skip' ? `task.${input.signal}` : 'task.signal';
      const stage = d.events.find((e) => typeof e.data['stage'] === 'string')?.data['stage'];
      return draft(at, input, action, eventProject, input.taskId, {
        signal: action === 'task.signal' ? input.signal : undefined,
        stage,
        comment: str(input.payload?.['comment']),
        groups: input.groups,
      });
    }
    case 'run.abort':
    case 'run.pause':
    case 'run.resume':
    case 'run.retry':
    case 'run.unfreeze': {
      const run = state.runs.get(input.runId);
      const action: AuditAction = input.type === 'run.unfreeze' ? 'run.freeze-override' : input.type;
      return draft(at, input, action, run?.project ?? eventProject, input.runId, { stage: run?.stage, releaseId: run?.releaseId, reason: input.reason });
    }
    case 'flag.set':
      // By hand or by a flag task: either changes what users see, so both are sealed.
      return draft(at, input, 'flag.set', input.project, input.flag, { stage: input.stage, variant: input.rollout.variant, percent: input.rollout.percent, rules: input.rollout.rules?.length, taskId: input.taskId, releaseId: d.value?.releaseId, reason: input.reason });
    case 'promotion.resume':
      return draft(at, input, 'promotion.resume-auto', input.project, input.stage, { heldRelease: d.value?.releaseId, reason: input.reason });
    default:
      return undefined;
  }
}
