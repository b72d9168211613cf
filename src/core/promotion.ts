/**
 * Promotion rules, as questions about the state: which sequences a finished run
 * triggers, what a manual promotion still lacks, and which artifacts have not passed
 * the stages upstream of the one a release is triggered into; and whether an automatic stage
 * takes a release that just passed upstream.
 */
import { heldReason, holdOf } from './holds.js';
import { selectionOf } from './selection.js';
import type { Release, Run, StagePass } from './model.js';
import type { Pipeline, Result, SequenceSpec, SequenceTrigger, StageSpec } from './pipeline.js';
import { upstreamStages } from './pipeline.js';
import type { CoreState, ReleaseState } from './state.js';
import { artifactKey, passKey, stageIndex, stageLive } from './state.js';
import type { Tx } from './tx.js';

export interface Target {
  stage: StageSpec;
  sequence: SequenceSpec;
}

function satisfies(t: SequenceTrigger, pass: Pick<StagePass, 'result' | 'taskResults'> | undefined): boolean {
  if (!pass || !t.results.includes(pass.result)) return false;
  for (const [task, want] of Object.entries(t.taskResults ?? {})) if (pass.taskResults[task] !== want) return false;
  return true;
}

/** Triggers of `seq` not yet met by the release's outcomes. For `any`, empty when one is met. */
export function unmetTriggers(seq: SequenceSpec, release: ReleaseState): SequenceTrigger[] {
  const unmet = seq.triggeredOn.filter((t) => !satisfies(t, release.passes.get(passKey(t.stage, t.sequence))));
  if (seq.join === 'any' && unmet.length < seq.triggeredOn.length) return [];
  return unmet;
}

/** Sequences the finished run fires: those listening to its stage and sequence, whose every trigger (`all`) is met. */
export function downstreamTargets(p: Pipeline, run: Run, result: Result, release: ReleaseState): Target[] {
  const taskResults: Record<string, Result> = {};
  for (const t of run.tasks) if (t.result) taskResults[t.name] = t.result;
  const out: Target[] = [];
  for (const stage of p.stages) {
    for (const sequence of stage.sequences) {
      const fired = sequence.triggeredOn.some(
        (t) => t.stage === run.stage && t.sequence === run.sequence && satisfies(t, { result, taskResults }),
      );
      if (!fired) continue;
      if (sequence.join === 'all' && unmetTriggers(sequence, release).length > 0) continue;
      out.push({ stage, sequence });
    }
  }
  return out;
}

export interface UpstreamGap {
  service: string;
  artifact: string;
  stage: string;
}

/**
 * For a release entering `stage` directly: each artifact must have passed every stage
 * upstream (in this release or any other). Artifact passes must be loaded (see requirements).
 */
export function upstreamGaps(state: CoreState, p: Pipeline, stage: StageSpec, release: Release): UpstreamGap[] {
  if (!stage.requireUpstream) return [];
  const gaps: UpstreamGap[] = [];
  for (const up of upstreamStages(p, stage.name)) {
    for (const [service, artifact] of Object.entries(release.artifacts).sort(([a], [b]) => a.localeCompare(b))) {
      const pass = state.artifactPasses.get(artifactKey(release.project, service, artifact))?.get(up);
      if (!pass || pass.result === 'fail') gaps.push({ service, artifact, stage: up });
    }
  }
  return gaps;
}

/**
 * Why the automatic stage `stage` does not take `release`, which just passed upstream; undefined
 * when it does. Held (holds.ts): never. `selection: newest`: not when the stage already runs
 * or has queued a newer release (a release finishing upstream late, or rolled back to there,
 * does not pull the stage back). `matchUpstream` (the default): it follows upstream.
 */
export function autoPromotionWithheld(tx: Tx, p: Pipeline, stage: StageSpec, release: Release): string | undefined {
  const hold = holdOf(tx, p.name, stage.name);
  if (hold) return heldReason(hold, p.name);
  if (selectionOf(stage) !== 'newest') return undefined;
  const there = new Set(stageLive(tx.state, p.name, stage.name).map((l) => l.releaseId));
  for (const id of stageIndex(tx.state, p.name, stage.name).open.values()) {
    const r = tx.state.runs.get(id);
    if (r) there.add(r.releaseId);
  }
  for (const id of there) {
    const other = tx.state.releases.get(id)?.release;
    if (other && other.id !== release.id && other.createdAt > release.createdAt) {
      return `stage '${stage.name}' selects the newest release and already has ${other.id}, newer than ${release.id}`;
    }
  }
  return undefined;
}
