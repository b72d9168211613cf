/**
 * Feature flag rules. A flag's rollout in a stage is part of what a release sets there: a
 * change records the release the stage had (the run's, for a flag task), and when a run of
 * a release starts in a stage, that release inherits the rollouts it finds. A rollback to a
 * release puts back the rollouts recorded for it (a release with none recorded predates the
 * flag's use there: its flags go to their default). Changes are `flag.changed` events.
 */
import { SlipwayError } from './errors.js';
import { eventTypes } from './events.js';
import type { SlipwayEvent } from './events.js';
import type { FlagChangedData, FlagRollout, FlagSetInput, FlagSpec, FlagState } from './flag-types.js';
import { parseTaskId } from './model.js';
import type { Run } from './model.js';
import { findStage } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import type { CoreState } from './state.js';
import { stageLive } from './state.js';
import type { Tx } from './tx.js';

/** Releases remembered per flag and stage; a rollback further back than this finds the default. */
export const FLAG_HISTORY = 50;

export const flagKey = (project: string, stage: string, flag: string): string => `${project}\0${stage}\0${flag}`;

/** Everybody gets the default variant. */
export function defaultRollout(spec: FlagSpec): FlagRollout {
  return { variant: spec.default, percent: 0 };
}

export function sameRollout(a: FlagRollout | undefined, b: FlagRollout | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Why a rollout does not fit a flag's declaration, or undefined. */
export function rolloutProblem(flag: string, spec: FlagSpec, r: FlagRollout): string | undefined {
  const variants = Object.keys(spec.variants);
  const known = (v: string) => Object.hasOwn(spec.variants, v);
  if (!known(r.variant)) return `flag '${flag}' has no variant '${r.variant}'; its variants: ${variants.join(', ')}`;
  if (!(typeof r.percent === 'number' && r.percent >= 0 && r.percent <= 100)) return `percent must be a number from 0 to 100, got ${String(r.percent)}`;
  for (const rule of r.rules ?? []) {
    if (!known(rule.variant)) return `a rule of flag '${flag}' names variant '${rule.variant}', which it does not have; its variants: ${variants.join(', ')}`;
  }
  return undefined;
}

function declared(pipeline: Pipeline, flag: string): FlagSpec {
  const spec = pipeline.flags?.[flag];
  if (spec && Object.hasOwn(pipeline.flags ?? {}, flag)) return spec;
  const known = Object.keys(pipeline.flags ?? {}).sort().join(', ') || '(none)';
  throw new SlipwayError('UNKNOWN_FLAG', `flag '${flag}' is not declared by project '${pipeline.name}'; declared flags: ${known} (spec.flags in slipway.yaml)`, { field: 'flag' });
}

/** The release a change is recorded for: the flag task's run's, else the one release the stage serves now. */
function settingRelease(state: CoreState, input: FlagSetInput): { releaseId?: string; run?: Run } {
  if (input.taskId !== undefined) {
    const run = state.runs.get(parseTaskId(input.taskId)?.runId ?? '');
    if (!run || run.project !== input.project || run.stage !== input.stage) {
      throw new SlipwayError('INVALID_INPUT', `task ${input.taskId} is not a task of a run in stage '${input.stage}' of project '${input.project}'; a flag task sets flags in its own stage`, { field: 'taskId' });
    }
    return { releaseId: run.releaseId, run };
  }
  const live = new Set(stageLive(state, input.project, input.stage).map((l) => l.releaseId));
  return live.size === 1 ? { releaseId: [...live][0]! } : {};
}

export function decideFlagSet(tx: Tx, input: FlagSetInput, pipeline: Pipeline): { ignored?: string; value?: { releaseId?: string; runId?: string } } {
  if (!findStage(pipeline, input.stage)) {
    throw new SlipwayError('UNKNOWN_STAGE', `stage '${input.stage}' is not defined in project '${input.project}'; defined stages: ${pipeline.stages.map((s) => s.name).join(', ')}`, { field: 'stage' });
  }
  const spec = declared(pipeline, input.flag);
  const problem = rolloutProblem(input.flag, spec, input.rollout);
  if (problem) throw new SlipwayError('INVALID_INPUT', problem, { field: 'rollout' });
  const { releaseId, run } = settingRelease(tx.state, input);
  const current = tx.state.flags.get(flagKey(input.project, input.stage, input.flag));
  const rollout = canonical(input.rollout);
  if (sameRollout(current?.rollout ?? defaultRollout(spec), rollout) && (releaseId === undefined || current?.byRelease[releaseId] !== undefined)) {
    return { ignored: `flag '${input.flag}' in stage '${input.stage}' is already ${describeRollout(rollout, spec)}` };
  }
  const data: FlagChangedData = {
    stage: input.stage,
    flag: input.flag,
    from: current?.rollout ?? null,
    to: rollout,
    cause: input.taskId !== undefined ? 'task' : 'manual',
    ...(releaseId !== undefined ? { releaseId } : {}),
    ...(run ? { runId: run.id } : {}),
    ...(input.taskId !== undefined ? { taskId: input.taskId } : {}),
    ...(tx.by !== undefined ? { by: tx.by } : {}),
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  };
  tx.emit(eventTypes.flagChanged, { project: input.project, stage: input.stage, subject: input.flag, ...(run ? { run } : {}) }, data);
  return { value: { ...(releaseId !== undefined ? { releaseId } : {}), ...(run ? { runId: run.id } : {}) } };
}

/** A rollback to `releaseId` in a stage puts back the rollouts recorded for it. */
export function restoreFlags(tx: Tx, project: string, stage: string, releaseId: string, reason: string | undefined): void {
  const pipeline = tx.state.pipelines.get(project);
  for (const [flag, spec] of Object.entries(pipeline?.flags ?? {})) {
    const current = tx.state.flags.get(flagKey(project, stage, flag));
    if (!current) continue; // never set there: it serves the default already
    const to = current.byRelease[releaseId] ?? defaultRollout(spec);
    if (sameRollout(current.rollout, to)) continue;
    const data: FlagChangedData = { stage, flag, from: current.rollout, to, cause: 'rollback', releaseId, ...(tx.by !== undefined ? { by: tx.by } : {}), ...(reason !== undefined ? { reason } : {}) };
    tx.emit(eventTypes.flagChanged, { project, stage, subject: flag }, data);
  }
}

/** Folds a `flag.changed` event into the state. */
export function evolveFlag(state: CoreState, ev: SlipwayEvent): void {
  const d = ev.data as unknown as FlagChangedData;
  const key = flagKey(ev.project, d.stage, d.flag);
  const before = state.flags.get(key);
  const byRelease = { ...(before?.byRelease ?? {}) };
  if (d.releaseId !== undefined) {
    delete byRelease[d.releaseId]; // re-inserted last: the newest entries survive the bound
    byRelease[d.releaseId] = d.to;
  }
  const next: FlagState = {
    project: ev.project,
    stage: d.stage,
    flag: d.flag,
    rollout: d.to,
    at: Date.parse(ev.time),
    byRelease: bounded(byRelease),
    ...(d.releaseId !== undefined ? { releaseId: d.releaseId } : {}),
    ...(d.runId !== undefined ? { runId: d.runId } : {}),
    ...(d.by !== undefined ? { by: d.by } : {}),
  };
  state.flags.set(key, next);
  state.dirty.flags.add(key);
}

/** A run of a release starts in a stage: the release takes on the rollouts it finds there, unless it has its own. */
export function inheritFlags(state: CoreState, run: Run): void {
  for (const [key, f] of state.flags) {
    if (f.project !== run.project || f.stage !== run.stage || f.byRelease[run.releaseId] !== undefined) continue;
    state.flags.set(key, { ...f, byRelease: bounded({ ...f.byRelease, [run.releaseId]: f.rollout }) });
    state.dirty.flags.add(key);
  }
}

function bounded(byRelease: Record<string, FlagRollout>): Record<string, FlagRollout> {
  const entries = Object.entries(byRelease);
  return entries.length <= FLAG_HISTORY ? byRelease : Object.fromEntries(entries.slice(entries.length - FLAG_HISTORY));
}

/** The rollout as recorded: percent to two decimals, no empty rule list. */
function canonical(r: FlagRollout): FlagRollout {
  return { variant: r.variant, percent: Math.round(r.percent * 100) / 100, ...(r.rules && r.rules.length > 0 ? { rules: r.rules } : {}) };
}

export function describeRollout(r: FlagRollout, spec?: FlagSpec): string {
  const rules = r.rules?.length ? ` (+${r.rules.length} rule${r.rules.length === 1 ? '' : 's'})` : '';
  if (spec && (r.percent === 0 || r.variant === spec.default)) return `${spec.default} for everyone${rules}`;
  return `${r.variant} at ${r.percent}%${rules}`;
}
