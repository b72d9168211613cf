/**
 * The decisions about schema changes: a `migrate` task finished (record it; an expand arms
 * its automatic contract), the contract timer came due, a person asked for a contract.
 */
import { SlipwayError } from './errors.js';
import { activeRunFor } from './flow.js';
import type { Input, SchemaContractInput, TimerInput } from './inputs.js';
import type { Run, TaskRun } from './model.js';
import { parseTaskId, taskId } from './model.js';
import { findStage } from './pipeline.js';
import { CONTRACT_PURPOSE, CONTRACT_RECHECK_MS, armContract, contractCheck, contractTimerId, pendingExpand, queueContract } from './schema-changes-contract.js';
import { noteMigration, stageChanges } from './schema-changes.js';
import type { CoreState, Requirements } from './state.js';
import { stageLive } from './state.js';
import type { Tx } from './tx.js';

type Outcome = { ignored?: string; value?: { runId?: string; releaseId?: string } };

function recheckMs(props: Readonly<Record<string, unknown>>): number {
  const v = props.contractRecheckMs;
  return typeof v === 'number' && Number.isInteger(v) && v >= 10 ? v : CONTRACT_RECHECK_MS;
}

/** Called when a task finished (before the run advances): a `migrate` task's result becomes the stage's schema record. */
export function afterMigration(tx: Tx, run: Run, task: TaskRun, result: string, output: Readonly<Record<string, unknown>> | undefined): void {
  const change = noteMigration(tx, run, task, result, output);
  if (!change || change.phase !== 'expand' || change.properties.autoContract === false) return;
  // Also when found applied (the release deployed again after a rollback): the timer that
  // gave up when it stopped serving is armed anew (same id, so at most one).
  const contracted = stageChanges(tx.state, run.project, run.stage).some((c) => c.phase === 'contract' && c.releaseId === change.releaseId && c.service === change.service);
  if (contracted) return;
  armContract(tx, change, tx.now + recheckMs(change.properties), taskId(run.id, task.name, task.attempt));
}

/** The automatic contract's timer: run it when it may, look again later while it may not, stop when it never will. */
export function contractTimer(tx: Tx, input: TimerInput): Outcome {
  tx.effect({ type: 'cancelTimer', id: input.timerId });
  const run = tx.state.runs.get(parseTaskId(input.taskId)?.runId ?? '');
  const pipeline = run ? tx.state.pipelines.get(run.project) : undefined;
  const stage = run && pipeline ? findStage(pipeline, run.stage) : undefined;
  if (!run || !pipeline || !stage) return { ignored: `contract timer ${input.timerId}: its run or stage is gone` };
  const expand = stageChanges(tx.state, run.project, run.stage).find((c) => c.phase === 'expand' && contractTimerId(c) === input.timerId);
  if (!expand) return { ignored: `contract timer ${input.timerId}: no expand recorded` };
  const check = contractCheck(tx.state, stage, expand, tx.now);
  const value = { releaseId: expand.releaseId };
  if (check.contracted) return { ignored: `the contract of release ${expand.releaseId} ran already`, value };
  if (check.blockers.length === 0) return { value: { ...value, runId: queueContract(tx, pipeline, stage, expand, 'automation').id } };
  // The release's own run still going: wait for it. Its run over without it serving the stage: it was rolled back or failed; a person decides.
  const delivering = activeRunFor(tx, expand.releaseId, stage.name, stage.sequences[0]?.name ?? 'delivery', run.project);
  const serving = stageLive(tx.state, run.project, stage.name).some((l) => l.service === expand.service && l.releaseId === expand.releaseId);
  if (!delivering && !serving) return { ignored: `release ${expand.releaseId} no longer serves '${stage.name}': its contract waits for a person (${check.blockers.join('; ')})`, value };
  armContract(tx, expand, Math.max(check.notBefore ?? 0, tx.now + recheckMs(expand.properties)), input.taskId);
  return { ignored: `contract of ${expand.releaseId} in '${stage.name}' not yet: ${check.blockers.join('; ')}`, value };
}

/** `slipway migrate contract`: a person runs a contract now (refused while it may not). */
export function contractByHand(tx: Tx, input: SchemaContractInput): Outcome {
  const pipeline = tx.state.pipelines.get(input.project);
  if (!pipeline) throw new SlipwayError('UNKNOWN_PROJECT', `project '${input.project}' is not defined`, { field: 'project' });
  const stage = findStage(pipeline, input.stage);
  if (!stage) {
    throw new SlipwayError('UNKNOWN_STAGE', `stage '${input.stage}' is not defined in project '${input.project}'; defined stages: ${pipeline.stages.map((s) => s.name).join(', ')}`, { field: 'stage' });
  }
  const expand = pendingExpand(tx.state, input.project, stage.name, input.releaseId, input.service);
  if (!expand) {
    const what = input.releaseId !== undefined ? `release ${input.releaseId} ran no expand` : 'every expand there has been contracted';
    throw new SlipwayError('INVALID_STATE', `no contract to run in stage '${stage.name}': ${what}; see \`slipway migrate status --stage ${stage.name}\``, { field: 'releaseId' });
  }
  const run = queueContract(tx, pipeline, stage, expand, 'person');
  return { value: { runId: run.id, releaseId: expand.releaseId } };
}

export function isContractTimer(input: Input): boolean {
  return input.type === 'timer' && input.purpose === CONTRACT_PURPOSE;
}

/** Releases a contract decision looks at: those with schema changes in the stage and those live there. */
export function contractRequirements(state: CoreState, project: string, stage: string, req: Requirements): void {
  for (const c of stageChanges(state, project, stage)) req.releases.push(c.releaseId);
  for (const l of stageLive(state, project, stage)) req.releases.push(l.releaseId, ...(l.lastGoodReleaseId ? [l.lastGoodReleaseId] : []));
}
