/** A validated slipway.yaml → the core pipeline model. */
import { DELIVERY } from '../core/index.js';
import type { Pipeline, Result, SequenceTrigger, SourceRef, StageSpec, TaskCondition, TaskSpec } from '../core/index.js';
import { parseDuration } from './duration.js';
import { mapFreeze } from './freeze-schema.js';
import type { Path } from './problems.js';
import type { SlipwayCondition, SlipwayFile } from './slipway-schema.js';
import { afterOf, stepsOf } from './slipway-walk.js';
import type { PlacedTask } from './slipway-walk.js';
import { locate } from './source.js';
import type { Source } from './source.js';

const UPSTREAM_PASSED: readonly Result[] = ['pass', 'warning'];

export function mapSlipway(file: SlipwayFile, source: Source, version: string): Pipeline {
  const ref = (path: Path): SourceRef => ({ file: source.file, ...locate(source, path) });
  const stages = file.spec.stages.map((stage, i): StageSpec => {
    const path = ['spec', 'stages', i];
    const after = afterOf(file.spec.stages, i);
    const triggeredOn = after.map((s): SequenceTrigger => ({ stage: s, sequence: DELIVERY, results: UPSTREAM_PASSED }));
    const steps = stepsOf(stage, path).map((step) => ({ tasks: step.map((t) => mapTask(t, ref)) }));
    return {
      name: stage.name,
      after,
      promotion: stage.promotion,
      queue: stage.queue,
      requireUpstream: stage.requireUpstream,
      sequences: [{ name: DELIVERY, triggeredOn, join: 'all', steps, source: ref([...path, 'tasks']) }],
      source: ref(path),
    };
  });
  return {
    name: file.metadata.name,
    services: file.spec.services ?? [],
    stages,
    format: file.apiVersion,
    version,
    ...(file.spec.freezes?.length ? { freezes: file.spec.freezes.map((f, i) => mapFreeze(f, ref(['spec', 'freezes', i]))) } : {}),
  };
}

function mapTask({ task, path }: PlacedTask, ref: (path: Path) => SourceRef): TaskSpec {
  const delay = task.delay ?? task.triggeredAfter;
  return {
    name: task.name,
    kind: task.kind,
    properties: task.properties,
    ...(task.timeout === undefined ? {} : { timeoutMs: parseDuration(task.timeout) }),
    retries: task.retries,
    delayMs: delay === undefined ? 0 : parseDuration(delay),
    if: mapCondition(task.if),
    continueOnFailure: task.continueOnFailure,
    source: ref(path),
  };
}

function mapCondition(cond: SlipwayCondition): TaskCondition {
  if (typeof cond === 'string') return { kind: cond };
  const negate = cond.resultNot !== undefined;
  const given = cond.resultNot ?? cond.result ?? [];
  const results = [...new Set(typeof given === 'string' ? [given] : given)];
  return { kind: 'result', task: cond.task, results, negate };
}
