/**
 * A validated Keptn shipyard → the core pipeline model. Each Keptn sequence becomes a
 * sequence with one task per step; a stage's `after` is every other stage its triggers name.
 */
import type { Pipeline, SequenceSpec, SourceRef, StageSpec, TaskSpec } from '../core/index.js';
import { findCycles } from './dag.js';
import { parseDuration } from './duration.js';
import { duplicates } from './problems.js';
import type { Path, Problem } from './problems.js';
import type { KeptnFile, KeptnSequence, KeptnStage } from './keptn-schema.js';
import { mapTrigger } from './keptn-triggers.js';
import type { Note } from './keptn-triggers.js';
import { locate } from './source.js';
import type { Source } from './source.js';

const EVALUATION = 'evaluation';

export interface KeptnMapped {
  pipeline: Pipeline;
  problems: Problem[];
  notes: Note[];
}

export function mapKeptn(file: KeptnFile, source: Source, version: string): KeptnMapped {
  const ref = (path: Path): SourceRef => ({ file: source.file, ...locate(source, path) });
  const problems: Problem[] = [];
  const notes: Note[] = [];
  const stagesIn = file.spec.stages;
  problems.push(...duplicates(stagesIn.map((s, i) => ({ name: s.name, path: ['spec', 'stages', i, 'name'] })), 'stage', 'the shipyard'));
  const sequences = new Map(stagesIn.map((s) => [s.name, sequenceNames(s)]));

  const stages = stagesIn.map((stage, i): StageSpec => {
    const path = ['spec', 'stages', i];
    const after = new Set<string>();
    const given = (stage.sequences ?? []).map((seq, j): SequenceSpec => {
      const seqPath = [...path, 'sequences', j];
      const triggeredOn = (seq.triggeredOn ?? []).flatMap((t, k) => {
        const mapped = mapTrigger(t, [...seqPath, 'triggeredOn', k], sequences);
        problems.push(...mapped.problems);
        notes.push(...mapped.notes);
        if (mapped.stage !== undefined && mapped.stage !== stage.name) after.add(mapped.stage);
        return mapped.triggers;
      });
      problems.push(...taskDuplicates(seq, seqPath));
      const steps = seq.tasks.map((t, k) => ({ tasks: [keptnTask(t, ref([...seqPath, 'tasks', k]))] }));
      return { name: seq.name, triggeredOn, join: 'any', steps, source: ref(seqPath) };
    });
    problems.push(...duplicates(given.map((s, j) => ({ name: s.name, path: [...path, 'sequences', j, 'name'] })), 'sequence', `stage '${stage.name}'`));
    const implicit = given.some((s) => s.name === EVALUATION) ? [] : [implicitEvaluation(ref(path))];
    return {
      name: stage.name,
      after: [...after],
      promotion: 'auto',
      queue: 'fifo',
      requireUpstream: false,
      sequences: [...given, ...implicit],
      source: ref(path),
    };
  });

  const byName = new Map(stages.map((s, i) => [s.name, i]));
  for (const cycle of findCycles([...byName.keys()], (n) => stages[byName.get(n) ?? -1]?.after ?? [])) {
    const i = byName.get(cycle[0] ?? '') ?? 0;
    notes.push({ path: ['spec', 'stages', i, 'name'], message: `the stages trigger each other in a loop (${[...cycle].reverse().join(' → ')} → ...); upstream checks treat them as one another's upstream` });
  }
  return {
    pipeline: { name: file.metadata.name, services: [], stages, format: file.apiVersion, version },
    problems,
    notes,
  };
}

/** The sequences a trigger may name: those declared, and the implicit `evaluation`. */
function sequenceNames(stage: KeptnStage): string[] {
  const names = (stage.sequences ?? []).map((s) => s.name);
  return names.includes(EVALUATION) ? names : [...names, EVALUATION];
}

function keptnTask(t: KeptnSequence['tasks'][number], source: SourceRef): TaskSpec {
  return {
    name: t.name,
    kind: t.name,
    properties: t.properties ?? {},
    retries: 0,
    delayMs: t.triggeredAfter === undefined ? 0 : parseDuration(t.triggeredAfter),
    if: { kind: 'success' },
    continueOnFailure: false,
    source,
  };
}

/** Keptn gives every stage an `evaluation` sequence, so one can be triggered anywhere. */
function implicitEvaluation(source: SourceRef): SequenceSpec {
  const task: TaskSpec = {
    name: EVALUATION,
    kind: EVALUATION,
    properties: {},
    retries: 0,
    delayMs: 0,
    if: { kind: 'success' },
    continueOnFailure: false,
    source,
  };
  return { name: EVALUATION, triggeredOn: [], join: 'any', steps: [{ tasks: [task] }], source };
}

function taskDuplicates(seq: KeptnSequence, seqPath: Path): Problem[] {
  const named = seq.tasks.map((t, k) => ({ name: t.name, path: [...seqPath, 'tasks', k, 'name'] }));
  return duplicates(named, 'task', `sequence '${seq.name}'`);
}
