/**
 * Rollback: an earlier release that ran in a stage runs there again. Without a target it
 * is the stage's last good release, where what runs now is something else; a release
 * that never ran in the stage cannot be rolled back to.
 */
import { SlipwayError } from './errors.js';
import { queueRollback } from './flow.js';
import type { RollbackInput } from './inputs.js';
import type { Pipeline, StageSpec } from './pipeline.js';
import type { CoreState } from './state.js';
import { stageLive } from './state.js';
import type { Tx } from './tx.js';
import { checkRollbackSchema } from './schema-changes.js';

/** The release a rollback without `to` goes back to, or an error saying why there is none. */
export function rollbackTarget(state: CoreState, project: string, stage: string): string | SlipwayError {
  const live = stageLive(state, project, stage);
  const drifted = live.filter((l) => l.lastGoodReleaseId !== undefined && (l.releaseId !== l.lastGoodReleaseId || l.state !== 'succeeded'));
  const targets = [...new Set(drifted.map((l) => l.lastGoodReleaseId!))];
  if (targets.length === 1) return targets[0]!;
  if (targets.length === 0) {
    const why = live.length === 0 ? 'nothing ran there yet' : 'what runs there is its last good release';
    return new SlipwayError('INVALID_STATE', `nothing to roll back in stage '${stage}': ${why}; name an earlier release with --to`, { field: 'to' });
  }
  return new SlipwayError('INVALID_INPUT', `services of stage '${stage}' have different last good releases (${targets.join(', ')}); name one with --to`, { field: 'to' });
}

export function rollback(tx: Tx, input: RollbackInput, pipeline: Pipeline, stage: StageSpec): { releaseId: string; runId: string; ignored?: string } {
  let to = input.to;
  if (to === undefined) {
    const t = rollbackTarget(tx.state, input.project, stage.name);
    if (t instanceof SlipwayError) throw t;
    to = t;
  }
  const rs = tx.state.releases.get(to);
  if (!rs || rs.release.project !== input.project) {
    throw new SlipwayError('UNKNOWN_RELEASE', `release '${to}' does not exist in project '${input.project}'`, { field: 'to' });
  }
  if (![...rs.passes.values()].some((p) => p.stage === stage.name)) {
    throw new SlipwayError('INVALID_INPUT', `release ${to} never ran in stage '${stage.name}': a rollback goes back to a release that ran there`, { field: 'to' });
  }
  checkRollbackSchema(tx.state, input.project, stage.name, to);
  const run = queueRollback(tx, rs.release, stage, pipeline.version, input.reason);
  return { releaseId: to, runId: run.id };
}
