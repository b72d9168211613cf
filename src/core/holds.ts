/**
 * Promotion holds: when a person puts a release into a stage (promote, rollback, a trigger
 * naming the stage) that is older than the one automation would bring there now
 * (selection.ts), automatic promotion into that stage holds, so automation does not undo a
 * deliberate choice (Kargo's answer). While held, upstream success does not queue the stage
 * (the release is announced as promotable, with the reason) and its schedule's fires are
 * skipped. Only `resume-auto` lifts it; a later choice of a person does not (nor replace
 * who set it). Stages promoted only by hand have nothing to hold.
 */
import type { PromotionHeldData, PromotionResumedData } from './events.js';
import { eventTypes } from './events.js';
import { SlipwayError } from './errors.js';
import type { PromotionHold, Release } from './model.js';
import type { Pipeline, StageSpec } from './pipeline.js';
import { automationCandidate, olderThan } from './selection.js';
import { stageKey } from './state.js';
import type { Tx } from './tx.js';

export function holdOf(tx: Tx, project: string, stage: string): PromotionHold | undefined {
  return tx.state.holds.get(stageKey(project, stage));
}

/** Does automation promote into `stage` at all (and so may be held)? */
export function automated(stage: StageSpec): boolean {
  return stage.promotion !== 'manual' && stage.after.length > 0;
}

/** A person chose `release` for `stage` (`how`): holds automatic promotion there when it is older than automation's choice. */
export function noteManualChoice(tx: Tx, p: Pipeline, stage: StageSpec, release: Release, how: 'promote' | 'rollback' | 'trigger'): void {
  if (!automated(stage) || holdOf(tx, p.name, stage.name)) return;
  const would = automationCandidate(tx.state, p, stage).release;
  if (!would || would.id === release.id || !olderThan(release, would)) return;
  const by = tx.by ?? 'anonymous';
  const d: PromotionHeldData = {
    stage: stage.name,
    releaseId: release.id,
    automationWould: would.id,
    by,
    how,
    reason: `${by} chose release ${release.id} (${how}), older than ${would.id} which automation would bring; automatic promotion into '${stage.name}' holds until \`slipway resume-auto ${stage.name} --project ${p.name}\``,
  };
  tx.emit(eventTypes.promotionHeld, { project: p.name, stage: stage.name, subject: release.id }, d);
}

/** `resume-auto`: lifts the hold; refused (INVALID_STATE) when the stage is not held. */
export function resumeAuto(tx: Tx, p: Pipeline, stage: StageSpec, reason?: string): PromotionHold {
  const hold = holdOf(tx, p.name, stage.name);
  if (!hold) {
    const held = [...tx.state.holds.values()].filter((h) => h.project === p.name).map((h) => h.stage);
    throw new SlipwayError(
      'INVALID_STATE',
      `automatic promotion into stage '${stage.name}' of project '${p.name}' is not held; nothing to resume (held stages: ${held.join(', ') || 'none'})`,
      { field: 'stage', stage: stage.name },
    );
  }
  const d: PromotionResumedData = { stage: stage.name, by: tx.by ?? 'anonymous', heldBy: hold.by, heldAt: hold.at, heldRelease: hold.releaseId, ...(reason ? { reason } : {}) };
  tx.emit(eventTypes.promotionResumed, { project: p.name, stage: stage.name }, d);
  return hold;
}

/** The sentence a skipped automatic promotion carries while the stage is held. */
export function heldReason(hold: PromotionHold, project: string): string {
  return `automatic promotion into '${hold.stage}' is held since ${new Date(hold.at).toISOString()} by ${hold.by}, who chose release ${hold.releaseId}; resume with \`slipway resume-auto ${hold.stage} --project ${project}\``;
}
