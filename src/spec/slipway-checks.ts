/** Rules of slipway.yaml that a schema cannot express: unique names, references, no cycles. */
import { checkAlarms } from './alarm-checks.js';
import { findCycles } from './dag.js';
import { checkGateStages } from './gate-checks.js';
import { flagProblems } from './flags-checks.js';
import { duplicates, formatPath, list, problem } from './problems.js';
import type { Path, Problem } from './problems.js';
import type { SlipwayFile, SlipwayStage } from './slipway-schema.js';
import { afterOf, stepsOf } from './slipway-walk.js';

export function checkSlipway(file: SlipwayFile): Problem[] {
  const stages = file.spec.stages;
  return [
    ...duplicates(
      (file.spec.services ?? []).map((name, i) => ({ name, path: ['spec', 'services', i] })),
      'service',
      'spec.services',
    ),
    ...duplicates(
      stages.map((s, i) => ({ name: s.name, path: ['spec', 'stages', i, 'name'] })),
      'stage',
      'the pipeline',
    ),
    ...stages.flatMap((stage, i) => checkAfter(stages, stage, i)),
    ...checkCycles(stages),
    ...stages.flatMap((stage, i) => checkTasks(stage, ['spec', 'stages', i])),
    ...checkGateStages(stages),
    ...checkAlarms(stages),
    ...flagProblems(file),
  ];
}

function checkAfter(stages: readonly SlipwayStage[], stage: SlipwayStage, i: number): Problem[] {
  const defined = stages.map((s) => s.name);
  const out: Problem[] = [];
  const seen = new Set<string>();
  (stage.after ?? []).forEach((up, j) => {
    const path = ['spec', 'stages', i, 'after', j];
    if (up === stage.name) {
      out.push(problem('SPEC_REFERENCE', path, `stage '${up}' cannot come after itself; list the stages it follows`));
    } else if (!defined.includes(up)) {
      out.push(problem('SPEC_REFERENCE', path, `stage '${up}' is not defined; defined stages: ${list(defined)}`));
    } else if (seen.has(up)) {
      out.push(problem('SPEC_FIELD', path, `stage '${up}' is listed twice`));
    }
    seen.add(up);
  });
  return out;
}

function checkCycles(stages: readonly SlipwayStage[]): Problem[] {
  const index = new Map(stages.map((s, i) => [s.name, i]));
  // With a name defined twice the graph is ambiguous; the duplicate is reported instead.
  if (index.size < stages.length) return [];
  const edges = (name: string): string[] => {
    const i = index.get(name);
    return i === undefined ? [] : afterOf(stages, i).filter((up) => up !== name);
  };
  const pos = (name: string): number => index.get(name) ?? 0;
  return findCycles([...index.keys()], edges).map((cycle) => {
    const at = (m: number): string => cycle[m % cycle.length] ?? '';
    // A default `after` points at the stage above, so some edge of the cycle points at a stage
    // declared at or below its own: that is an explicit entry, the one to fix.
    const k = Math.max(0, cycle.findIndex((name, m) => pos(at(m + 1)) >= pos(name)));
    const from = at(k);
    const to = at(k + 1);
    const i = pos(from);
    const j = stages[i]?.after?.indexOf(to) ?? -1;
    // In the order a release would flow, starting where the offending entry points.
    const flow = cycle.map((_, m) => at(k + 1 + cycle.length - m));
    const loop = [...flow, flow[0]].join(' → ');
    return problem(
      'SPEC_REFERENCE',
      j >= 0 ? ['spec', 'stages', i, 'after', j] : ['spec', 'stages', i, 'name'],
      `stage '${from}' coming after '${to}' closes a cycle: ${loop}; stages must form a DAG`,
    );
  });
}

function checkTasks(stage: SlipwayStage, stagePath: Path): Problem[] {
  const out: Problem[] = [];
  const earlier: string[] = [];
  const where = new Map<string, string>();
  const steps = stepsOf(stage, stagePath);
  for (const [s, step] of steps.entries()) {
    for (const { task, path } of step) {
      const first = where.get(task.name);
      if (first === undefined) where.set(task.name, formatPath(path));
      else out.push(problem('SPEC_FIELD', [...path, 'name'], `task '${task.name}' is defined twice in stage '${stage.name}' (first at ${first}); task names must be unique within a stage`));
      if (task.delay !== undefined && task.triggeredAfter !== undefined) {
        out.push(problem('SPEC_FIELD', [...path, 'delay'], 'set either delay or triggeredAfter, not both; they mean the same', true));
      }
      const cond = task.if;
      if (typeof cond === 'object' && !earlier.includes(cond.task)) {
        const later = steps.slice(s).some((st) => st.some((t) => t.task.name === cond.task));
        const why = later ? `runs in the same or a later step than '${task.name}'` : `is not defined in stage '${stage.name}'`;
        out.push(problem('SPEC_REFERENCE', [...path, 'if', 'task'], `task '${cond.task}' ${why}; if can only name a task of an earlier step: ${list(earlier)}`));
      }
    }
    earlier.push(...step.map((t) => t.task.name));
  }
  return out;
}
