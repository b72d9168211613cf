/**
 * When a release's contract may run in a stage, and running it: as a run of its own
 * (sequence `contract`, one `migrate` task), queued by hand (`schema.contract` input) or by
 * a durable timer armed when the expand ran. It may run once no slot of the stage serves a
 * release older than the expanded one and the release's rollback window there has closed:
 * it passed the stage, its `watch` window ended, and no rollback target predates it.
 */
import { SlipwayError } from './errors.js';
import { activeRunFor, queueRun } from './flow.js';
import type { Run } from './model.js';
import type { Pipeline, SequenceSpec, StageSpec } from './pipeline.js';
import type { SchemaChange } from './schema-changes.js';
import { MIGRATE_KIND, stageChanges } from './schema-changes.js';
import { liveKey, passKey } from './state.js';
import type { CoreState } from './state.js';
import type { Tx } from './tx.js';

export const CONTRACT_SEQUENCE = 'contract';
export const CONTRACT_PURPOSE = 'schema.contract';
/** How often an armed automatic contract looks again while it may not run yet. */
export const CONTRACT_RECHECK_MS = 30_000;

export interface ContractCheck {
  expand: SchemaChange;
  /** Why it may not run now; empty: it may. */
  blockers: string[];
  /** The earliest time worth looking again (the watch window's end), when known. */
  notBefore?: number;
  /** Set when it ran already. */
  contracted?: SchemaChange;
}

/** The expand a contract of `releaseId` (or, without it, of the newest expanded release not contracted) answers. */
export function pendingExpand(state: CoreState, project: string, stage: string, releaseId?: string, service?: string): SchemaChange | undefined {
  const changes = stageChanges(state, project, stage);
  const expands = changes.filter((c) => c.phase === 'expand' && (service === undefined || c.service === service) && (releaseId === undefined || c.releaseId === releaseId));
  if (releaseId !== undefined) return expands.at(-1);
  return expands.reverse().find((e) => !changes.some((c) => c.phase === 'contract' && c.releaseId === e.releaseId && c.service === e.service));
}

export function contractCheck(state: CoreState, stage: StageSpec, expand: SchemaChange, now: number): ContractCheck {
  const { project, releaseId: r, service } = expand;
  const contracted = stageChanges(state, project, stage.name).find((c) => c.phase === 'contract' && c.releaseId === r && c.service === service);
  if (contracted) return { expand, blockers: [`it ran at ${new Date(contracted.at).toISOString()} (migration ${contracted.id})`], contracted };
  const blockers: string[] = [];
  let notBefore: number | undefined;
  const mine = state.releases.get(r);
  const live = state.live.get(liveKey(project, stage.name, service));
  const older = (id: string | undefined): boolean => {
    if (id === undefined || id === r) return false;
    const other = state.releases.get(id)?.release;
    return !other || !mine || other.createdAt < mine.release.createdAt;
  };
  if (!live) blockers.push(`nothing serves ${service} in '${stage.name}' yet`);
  else {
    if (older(live.releaseId)) blockers.push(`'${stage.name}' serves release ${live.releaseId} of ${service}, older than ${r}'s expand: it still needs the old schema`);
    if (live.state !== 'succeeded') blockers.push(`run ${live.runId} of release ${live.releaseId} is ${live.state} in '${stage.name}'`);
    if (older(live.lastGoodReleaseId)) blockers.push(`a rollback would go back to release ${live.lastGoodReleaseId}, older than ${r}'s expand`);
  }
  const pass = mine?.passes.get(passKey(stage.name, stage.sequences[0]?.name ?? 'delivery'));
  if (!pass || pass.result === 'fail' || pass.alarm) blockers.push(`release ${r} has not passed '${stage.name}'${pass?.alarm ? ` (alarm ${pass.alarm.name} fired)` : ''}`);
  else if (stage.watch && pass.at + stage.watch.forMs > now) {
    notBefore = pass.at + stage.watch.forMs;
    blockers.push(`its watch window in '${stage.name}' is open until ${new Date(notBefore).toISOString()} (an alarm may still roll back to ${live?.previousGoodReleaseId ?? 'an older release'})`);
  }
  return { expand, blockers, ...(notBefore !== undefined ? { notBefore } : {}) };
}

/** The contract run's sequence: the expand task's properties with the phase switched. */
export function contractSequence(expand: SchemaChange): SequenceSpec {
  return {
    name: CONTRACT_SEQUENCE,
    triggeredOn: [],
    join: 'any',
    steps: [
      {
        tasks: [
          {
            name: 'contract',
            kind: MIGRATE_KIND,
            properties: { ...expand.properties, phase: 'contract', service: expand.service },
            retries: 0,
            delayMs: 0,
            if: { kind: 'always' },
            continueOnFailure: false,
          },
        ],
      },
    ],
  };
}

/** Queues the contract of `expand` now; refused with every reason it may not run yet. */
export function queueContract(tx: Tx, pipeline: Pipeline, stage: StageSpec, expand: SchemaChange, origin: 'person' | 'automation'): Run {
  const open = activeRunFor(tx, expand.releaseId, stage.name, CONTRACT_SEQUENCE, pipeline.name);
  if (open) return open;
  const check = contractCheck(tx.state, stage, expand, tx.now);
  if (check.blockers.length > 0) {
    throw new SlipwayError(
      'INVALID_STATE',
      `the contract of release ${expand.releaseId} (${expand.service}) cannot run in stage '${stage.name}' ${check.contracted ? 'again' : 'yet'}: ${check.blockers.join('; ')}` +
        (check.contracted ? '' : `. It runs by itself once these clear when automatic, or again with \`slipway migrate contract --stage ${stage.name} --release ${expand.releaseId}\``),
      { field: 'releaseId', stage: stage.name, release: expand.releaseId },
    );
  }
  const release = tx.state.releases.get(expand.releaseId)!.release;
  return queueRun(tx, release, stage, contractSequence(expand), pipeline.version, undefined, origin);
}

export function contractTimerId(expand: SchemaChange): string {
  return `contract:${expand.project}:${expand.stage}:${expand.service}:${expand.releaseId}`;
}

/** Arms (or moves) the durable timer that runs the contract when it may. */
export function armContract(tx: Tx, expand: SchemaChange, dueAt: number, taskId: string): void {
  const id = contractTimerId(expand);
  tx.effect({ type: 'setTimer', timer: { id, project: expand.project, dueAt, input: { id, type: 'timer', timerId: id, purpose: CONTRACT_PURPOSE, taskId } } });
}
