/**
 * The core's entry point: `decide(state, input, ctx)` applies one input. It holds every
 * rule (ordering, results, promotion, queueing) and does no I/O: the same state and input
 * give the same events and effects. The events it returns have already been applied to
 * `state` through `evolve`; when it reports an error or ignores the input, it changed nothing.
 */
import type { ApprovalAnswer } from './approvals.js';
import { approveAhead } from './approvals.js';
import { alarmRollbackTarget, decideStageAlarm } from './alarms.js';
import type { Effect } from './effects.js';
import { SlipwayError } from './errors.js';
import type { SlipwayEvent } from './events.js';
import { eventTypes } from './events.js';
import { abortRun, activeRunFor, advance, queueRun, retryRun, schedule } from './flow.js';
import { THAW_PURPOSE, armThaw, overrideFreeze } from './freeze.js';
import { automated, noteManualChoice, resumeAuto } from './holds.js';
import type { Input, PromoteInput, PullRequestReadyInput, RunControlInput, TimerInput, TriggerInput } from './inputs.js';
import type { Release } from './model.js';
import { parseTaskId } from './model.js';
import { findSequence, findStage } from './pipeline.js';
import { unmetTriggers, upstreamGaps } from './promotion.js';
import { releaseIdOf, validateArtifacts } from './release.js';
import { rollback, rollbackTarget } from './rollback.js';
import { fireSchedule, syncSchedules } from './schedule.js';
import { decideFlagSet } from './flags.js';
import { canChange, changeRunState } from './run-states.js';
import { contractByHand, contractRequirements, contractTimer, isContractTimer } from './schema-changes-decide.js';
import type { CoreState, Requirements } from './state.js';
import { artifactKey } from './state.js';
import { decideTask } from './task-inputs.js';
import type { DecideContext } from './tx.js';
import { Tx } from './tx.js';

export interface Decision {
  events: SlipwayEvent[];
  effects: Effect[];
  error?: SlipwayError;
  /** Why the input changed nothing although it was valid (a duplicate or a stale reply). */
  ignored?: string;
  /** What the input created or touched, for the caller's answer. */
  value?: { releaseId?: string; runId?: string; leaseExpiresAt?: number; approval?: ApprovalAnswer };
}

export function decide(state: CoreState, input: Input, ctx: DecideContext): Decision {
  const tx = new Tx(state, ctx, input.id, input.by);
  try {
    const out = apply(tx, input);
    return { events: tx.events, effects: tx.effects, ...out };
  } catch (e) {
    if (e instanceof SlipwayError && tx.events.length === 0) return { events: [], effects: [], error: e };
    throw e;
  }
}

type Outcome = Pick<Decision, 'ignored' | 'value'>;

function apply(tx: Tx, input: Input): Outcome {
  switch (input.type) {
    case 'trigger':
      return trigger(tx, input);
    case 'promote':
      return promote(tx, input);
    case 'stage.alarm': {
      const { pipeline, stage } = stageOf(tx, input.project, input.stage);
      return decideStageAlarm(tx, input, pipeline, stage);
    }
    case 'rollback': {
      const { pipeline, stage } = stageOf(tx, input.project, input.stage);
      const r = rollback(tx, input, pipeline, stage);
      const to = tx.state.releases.get(r.releaseId)?.release;
      if (to) noteManualChoice(tx, pipeline, stage, to, 'rollback');
      return { value: { releaseId: r.releaseId, runId: r.runId } };
    }
    case 'schedule.sync': {
      const n = syncSchedules(tx, pipelineOf(tx, input.project), input);
      return n === 0 ? { ignored: `schedules of project '${input.project}' are armed already` } : {};
    }
    case 'promotion.resume': {
      const { pipeline, stage } = stageOf(tx, input.project, input.stage);
      const hold = resumeAuto(tx, pipeline, stage, input.reason?.trim());
      return { value: { releaseId: hold.releaseId } };
    }
    case 'pr.ready':
      return pullRequestReady(tx, input);
    case 'flag.set':
      return decideFlagSet(tx, input, pipelineOf(tx, input.project));
    case 'run.abort':
    case 'run.pause':
    case 'run.resume':
    case 'run.retry':
    case 'run.unfreeze':
      return control(tx, input);
    case 'release.approval':
      return approveAhead(tx, input);
    case 'schema.contract':
      return contractByHand(tx, input);
    case 'timer':
      if (isContractTimer(input)) return contractTimer(tx, input);
      if (input.schedule) return fireSchedule(tx, { ...input.schedule, timerId: input.timerId });
      return input.purpose === THAW_PURPOSE ? thawTimer(tx, input) : decideTask(tx, input);
    default:
      return decideTask(tx, input);
  }
}

/** Records that a pull request's environment is ready; its deploy run, when named, must be that stage's. */
function pullRequestReady(tx: Tx, input: PullRequestReadyInput): Outcome {
  pipelineOf(tx, input.project);
  const run = input.runId !== undefined ? tx.state.runs.get(input.runId) : undefined;
  if (input.runId !== undefined && (!run || run.project !== input.project || run.stage !== input.data.stage)) {
    throw new SlipwayError('INVALID_INPUT', `run ${input.runId} is not a run of stage '${input.data.stage}' in project '${input.project}'; pr.ready names the environment's own deploy run`, { field: 'runId' });
  }
  tx.emit(eventTypes.pullRequestReady, { project: input.project, stage: input.data.stage, ...(run ? { run } : {}) }, input.data);
  return { value: { ...(input.data.releaseId ? { releaseId: input.data.releaseId } : {}), ...(run ? { runId: run.id } : {}) } };
}

function pipelineOf(tx: Tx, project: string) {
  const p = tx.state.pipelines.get(project);
  if (!p) {
    const known = [...tx.state.pipelines.keys()].sort().join(', ') || '(none)';
    throw new SlipwayError('UNKNOWN_PROJECT', `project '${project}' is not defined; defined projects: ${known}`, { field: 'project' });
  }
  return p;
}

function stageOf(tx: Tx, project: string, name: string | undefined) {
  const p = pipelineOf(tx, project);
  const stage = name === undefined ? p.stages[0] : findStage(p, name);
  if (!stage) {
    const known = p.stages.map((s) => s.name).join(', ');
    throw new SlipwayError('UNKNOWN_STAGE', `stage '${name}' is not defined in project '${project}'; defined stages: ${known}`, { field: 'stage' });
  }
  return { pipeline: p, stage };
}

function sequenceOf(stage: ReturnType<typeof stageOf>['stage'], name: string | undefined) {
  const seq = name === undefined ? stage.sequences[0] : findSequence(stage, name);
  if (!seq) {
    const known = stage.sequences.map((s) => s.name).join(', ');
    throw new SlipwayError('UNKNOWN_SEQUENCE', `sequence '${name}' is not defined in stage '${stage.name}'; defined sequences: ${known}`, { field: 'sequence' });
  }
  return seq;
}

function trigger(tx: Tx, input: TriggerInput): Outcome {
  const { pipeline, stage } = stageOf(tx, input.project, input.stage);
  const sequence = sequenceOf(stage, input.sequence);
  validateArtifacts(pipeline, input.artifacts);
  const id = releaseIdOf(input.project, input.artifacts, tx.ctx.hash);
  const known = tx.state.releases.get(id)?.release;
  const release: Release = known ?? {
    id,
    project: input.project,
    artifacts: input.artifacts,
    provenance: input.provenance ?? {},
    createdAt: tx.now,
    ...(input.by !== undefined ? { createdBy: input.by } : {}),
  };
  const existing = activeRunFor(tx, id, stage.name, sequence.name, input.project);
  if (existing) return { ignored: `release ${id} is already ${existing.state} in stage '${stage.name}'`, value: { releaseId: id, runId: existing.id } };
  const gaps = upstreamGaps(tx.state, pipeline, stage, release);
  if (gaps.length > 0) {
    const g = gaps[0]!;
    const list = gaps.map((x) => `${x.service}=${x.artifact} has not passed '${x.stage}'`).join('; ');
    throw new SlipwayError(
      'UPSTREAM_NOT_PASSED',
      `release cannot enter stage '${stage.name}': ${list}. Run it through the upstream stages first, or set requireUpstream: false on stage '${stage.name}'`,
      { field: `artifacts.${g.service}`, service: g.service, artifact: g.artifact, stage: g.stage },
    );
  }
  if (!known) tx.emit(eventTypes.releaseCreated, { project: input.project, subject: id }, { release });
  const run = queueRun(tx, release, stage, sequence, pipeline.version, undefined, input.automated ? 'automation' : 'person');
  if (!input.automated) noteManualChoice(tx, pipeline, stage, release, 'trigger');
  return { value: { releaseId: id, runId: run.id } };
}

function promote(tx: Tx, input: PromoteInput): Outcome {
  const { pipeline, stage } = stageOf(tx, input.project, input.stage);
  const sequence = sequenceOf(stage, input.sequence);
  const rs = tx.state.releases.get(input.releaseId);
  if (!rs || rs.release.project !== input.project) {
    throw new SlipwayError('UNKNOWN_RELEASE', `release '${input.releaseId}' does not exist in project '${input.project}'`, { field: 'releaseId' });
  }
  const existing = activeRunFor(tx, rs.release.id, stage.name, sequence.name, input.project);
  if (existing) return { ignored: `release is already ${existing.state} in stage '${stage.name}'`, value: { releaseId: rs.release.id, runId: existing.id } };
  const unmet = unmetTriggers(sequence, rs);
  if (unmet.length > 0) {
    const need = unmet.map((t) => `${t.stage} (${t.results.join(' or ')})`).join(', ');
    throw new SlipwayError('NOT_PROMOTABLE', `release ${rs.release.id} cannot be promoted to '${stage.name}': it has not passed ${need}`, { field: 'stage' });
  }
  const run = queueRun(tx, rs.release, stage, sequence, pipeline.version, undefined, 'person');
  noteManualChoice(tx, pipeline, stage, rs.release, 'promote');
  return { value: { releaseId: rs.release.id, runId: run.id } };
}

function control(tx: Tx, input: RunControlInput): Outcome {
  const run = tx.state.runs.get(input.runId);
  if (!run) throw new SlipwayError('UNKNOWN_RUN', `run '${input.runId}' does not exist`, { field: 'runId' });
  const value = { runId: run.id, releaseId: run.releaseId };
  const refuse = (what: string): never => {
    throw new SlipwayError('INVALID_STATE', `cannot ${what} run ${run.id}: it is ${run.state}`, { field: 'runId', state: run.state });
  };
  switch (input.type) {
    case 'run.abort':
      if (!canChange(run, 'aborted')) refuse('abort');
      abortRun(tx, run, input.reason ?? `aborted${input.by ? ` by ${input.by}` : ''}`);
      return { value };
    case 'run.pause':
      if (run.state !== 'running' && run.state !== 'waiting') refuse('pause');
      changeRunState(tx, run, 'paused', reason(input));
      return { value };
    case 'run.resume':
      if (run.state !== 'paused') refuse('resume');
      changeRunState(tx, run, 'running', reason(input));
      advance(tx, run);
      return { value };
    case 'run.retry': {
      if (run.state !== 'failed' && run.state !== 'aborted') refuse('retry');
      return { value: { runId: retryRun(tx, run).id, releaseId: run.releaseId } };
    }
    case 'run.unfreeze': {
      if (run.state !== 'queued' || !run.frozen) refuse(`let through a freeze window (it is not held by one)`);
      const why = input.reason?.trim();
      if (!why) throw new SlipwayError('INVALID_INPUT', `overriding the freeze of run ${run.id} needs a reason; say why this run may go now`, { field: 'reason' });
      overrideFreeze(tx, run, why);
      schedule(tx, run.project, run.stage);
      return { value };
    }
  }
}

/** A freeze window holding a queued run ended: the stage's queue is looked at again (a later window may hold it anew). */
function thawTimer(tx: Tx, input: TimerInput): Outcome {
  tx.effect({ type: 'cancelTimer', id: input.timerId });
  const run = tx.state.runs.get(parseTaskId(input.taskId)?.runId ?? '');
  if (!run || run.state !== 'queued' || !run.frozen) return { ignored: `thaw of ${input.taskId}: run is ${run ? run.state : 'unknown'}` };
  schedule(tx, run.project, run.stage);
  // Still held by the same window and end (a re-check before the end, after a pipeline change): keep its timer.
  const held = tx.state.runs.get(run.id);
  const rearmed = tx.effects.some((e) => e.type === 'setTimer' && e.timer.id === input.timerId);
  if (held?.state === 'queued' && held.frozen && !rearmed) armThaw(tx, held, held.frozen.until);
  return { value: { runId: run.id, releaseId: run.releaseId } };
}

function reason(input: RunControlInput): { reason?: string } {
  return input.reason !== undefined ? { reason: input.reason } : {};
}

/** What must be loaded into the state before deciding `input` (the engine loads what is missing). */
export function requirements(state: CoreState, input: Input, hash: (s: string) => string): Requirements {
  const req: Requirements = { runs: [], releases: [], artifacts: [] };
  switch (input.type) {
    case 'trigger': {
      req.releases.push(releaseIdOf(input.project, input.artifacts, hash));
      for (const [service, artifact] of Object.entries(input.artifacts ?? {})) {
        req.artifacts.push({ project: input.project, service, artifact });
      }
      if (!input.automated && input.stage !== undefined) req.recent = recentFor(state, input.project, input.stage);
      break;
    }
    case 'promote':
      req.releases.push(input.releaseId);
      req.recent = recentFor(state, input.project, input.stage);
      break;
    case 'release.approval':
      req.releases.push(input.releaseId);
      break;
    case 'schedule.sync':
    case 'promotion.resume':
      break;
    case 'schema.contract':
      contractRequirements(state, input.project, input.stage, req);
      break;
    case 'pr.ready':
      if (input.runId !== undefined) req.runs.push(input.runId);
      break;
    case 'flag.set': {
      const parsed = input.taskId === undefined ? undefined : parseTaskId(input.taskId);
      if (parsed) req.runs.push(parsed.runId);
      break;
    }
    case 'stage.alarm': {
      req.releases.push(input.releaseId);
      const target = alarmRollbackTarget(state, input.project, input.stage, input.releaseId);
      if (target !== undefined) req.releases.push(target);
      break;
    }
    case 'rollback': {
      const target = input.to ?? rollbackTarget(state, input.project, input.stage);
      if (typeof target === 'string') req.releases.push(target);
      contractRequirements(state, input.project, input.stage, req);
      req.recent = recentFor(state, input.project, input.stage);
      break;
    }
    case 'run.abort':
    case 'run.pause':
    case 'run.resume':
    case 'run.retry':
    case 'run.unfreeze':
      req.runs.push(input.runId);
      break;
    default: {
      if (input.type === 'timer' && isContractTimer(input)) {
        const [, project, stage] = input.timerId.split(':');
        if (project !== undefined && stage !== undefined) contractRequirements(state, project, stage, req);
      }
      if (input.type === 'timer' && input.schedule) {
        req.recent = recentFor(state, input.schedule.project, input.schedule.stage);
        break;
      }
      const parsed = parseTaskId(input.taskId);
      if (parsed) req.runs.push(parsed.runId);
    }
  }
  if (req.recent?.length === 0) delete req.recent;
  req.artifacts = req.artifacts.filter((a) => !state.artifactPasses.has(artifactKey(a.project, a.service, a.artifact)));
  req.runs = req.runs.filter((id) => !state.runs.has(id));
  req.releases = req.releases.filter((id) => !state.releases.has(id));
  return req;
}


/** The upstream stages whose recent passes decide what automation would bring into `stage` (selection.ts). */
function recentFor(state: CoreState, project: string, stageName: string): { project: string; stage: string }[] {
  const stage = state.pipelines.get(project)?.stages.find((s) => s.name === stageName);
  if (!stage || !automated(stage)) return [];
  return stage.after.map((up) => ({ project, stage: up }));
}
