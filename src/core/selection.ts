/**
 * Which release automation would bring into a stage now (schedules, and the check behind
 * promotion holds), by the stage's `selection`:
 * - `newest` (a schedule's default): of the releases that passed every stage the stage
 *   follows (pass or warning, not turned into a failure by an alarm), the newest by creation
 *   (ties: the later pass, then the id). A release rolled back to upstream does not pull
 *   the stage back.
 * - `matchUpstream` (`promotion: auto`'s): what the upstream stages run now: per upstream stage, the release live
 *   there when its last run succeeded, else its last good one; with several upstream stages,
 *   a release all of them run (the newest such).
 * Only releases in the state are candidates: the engine loads the ones recently passed in
 * the upstream stages first (`recent` requirements).
 */
import type { Release } from './model.js';
import type { Pipeline, Selection, StageSpec } from './pipeline.js';
import { findStage } from './pipeline.js';
import type { CoreState, ReleaseState } from './state.js';
import { passKey, stageLive } from './state.js';

export interface Candidate {
  release?: Release;
  /** Why there is none. */
  why?: string;
}

/** The stage's selection; unset: `newest` for a schedule, `matchUpstream` (follow what passed) for auto promotion. */
export function selectionOf(stage: StageSpec): Selection {
  return stage.selection ?? (stage.promotion === 'schedule' ? 'newest' : 'matchUpstream');
}

export function automationCandidate(state: CoreState, p: Pipeline, stage: StageSpec): Candidate {
  if (stage.after.length === 0) return { why: `stage '${stage.name}' follows no stage` };
  return selectionOf(stage) === 'matchUpstream' ? matchUpstream(state, p, stage) : newest(state, p, stage);
}

/** True when `a` is older than `b`: created earlier. */
export function olderThan(a: Release, b: Release): boolean {
  return a.createdAt < b.createdAt;
}

function primarySequence(p: Pipeline, stage: string): string {
  return findStage(p, stage)?.sequences[0]?.name ?? 'delivery';
}

/** The latest time `rs` passed every upstream stage, or undefined when it did not pass one. */
function passedAll(p: Pipeline, stage: StageSpec, rs: ReleaseState): number | undefined {
  let latest = 0;
  for (const up of stage.after) {
    const pass = rs.passes.get(passKey(up, primarySequence(p, up)));
    if (!pass || pass.result === 'fail') return undefined;
    latest = Math.max(latest, pass.at);
  }
  return latest;
}

function newest(state: CoreState, p: Pipeline, stage: StageSpec): Candidate {
  let best: { rs: ReleaseState; at: number } | undefined;
  for (const rs of state.releases.values()) {
    if (rs.release.project !== p.name) continue;
    const at = passedAll(p, stage, rs);
    if (at === undefined) continue;
    if (!best || better(rs, at, best.rs, best.at)) best = { rs, at };
  }
  return best ? { release: best.rs.release } : { why: `no release has passed ${list(stage.after)} yet` };
}

function better(a: ReleaseState, aAt: number, b: ReleaseState, bAt: number): boolean {
  const x = a.release;
  const y = b.release;
  if (x.createdAt !== y.createdAt) return x.createdAt > y.createdAt;
  if (aAt !== bAt) return aAt > bAt;
  return x.id > y.id;
}

function matchUpstream(state: CoreState, p: Pipeline, stage: StageSpec): Candidate {
  let common: Set<string> | undefined;
  for (const up of stage.after) {
    const here = new Set<string>();
    for (const l of stageLive(state, p.name, up)) {
      const id = l.state === 'succeeded' ? l.releaseId : l.lastGoodReleaseId;
      if (id !== undefined) here.add(id);
    }
    common = common ? new Set([...common].filter((id) => here.has(id))) : here;
  }
  const runs = [...(common ?? [])].flatMap((id) => {
    const rs = state.releases.get(id);
    return rs ? [rs] : [];
  });
  if (runs.length === 0) return { why: `${list(stage.after)} ${stage.after.length > 1 ? 'run no release in common' : 'runs no good release'} now` };
  const best = runs.reduce((a, b) => (better(b, 0, a, 0) ? b : a));
  return { release: best.release };
}

function list(stages: readonly string[]): string {
  return stages.map((s) => `'${s}'`).join(' and ');
}
