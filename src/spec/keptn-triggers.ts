/**
 * Keptn `triggeredOn` entries → sequence triggers, with Keptn's matching rules: no selector
 * fires on pass or warning; `match.result: v` fires when the upstream result is exactly `v`;
 * `match.<task>.result: v` when that task ended with `v`. Several keys are alternatives.
 */
import { Results } from '../core/index.js';
import type { Result, SequenceTrigger } from '../core/index.js';
import { list, problem } from './problems.js';
import type { Path, Problem } from './problems.js';
import type { KeptnTrigger } from './keptn-schema.js';

const EVENT = /^([^.]+)\.([^.]+)\.finished$/;

export interface Note {
  path: Path;
  message: string;
}

export interface MappedTrigger {
  triggers: SequenceTrigger[];
  /** The upstream stage named by the event, when the event is well formed. */
  stage?: string;
  problems: Problem[];
  notes: Note[];
}

/** `sequences` maps each stage to its sequence names (the implicit `evaluation` included). */
export function mapTrigger(t: KeptnTrigger, path: Path, sequences: ReadonlyMap<string, readonly string[]>): MappedTrigger {
  const out: MappedTrigger = { triggers: [], problems: [], notes: [] };
  const at = [...path, 'event'];
  const m = EVENT.exec(t.event);
  if (!m) {
    out.problems.push(problem('SPEC_FIELD', at, `'${t.event}' is not a sequence event; use <stage>.<sequence>.finished, e.g. dev.delivery.finished`));
    return out;
  }
  const [, stage = '', sequence = ''] = m;
  const known = sequences.get(stage);
  if (!known) {
    out.problems.push(problem('SPEC_REFERENCE', at, `stage '${stage}' is not defined; defined stages: ${list(sequences.keys())}`));
    return out;
  }
  if (!known.includes(sequence)) {
    out.problems.push(problem('SPEC_REFERENCE', at, `sequence '${sequence}' is not defined in stage '${stage}'; its sequences: ${list(known)}`));
    return out;
  }
  out.stage = stage;
  const match = t.selector?.match;
  const base = { stage, sequence };
  if (!match) {
    out.triggers.push({ ...base, results: ['pass', 'warning'] });
    return out;
  }
  const matchPath = [...path, 'selector', 'match'];
  const entries = Object.entries(match);
  if (entries.length === 0) {
    out.triggers.push({ ...base, results: [] });
    out.notes.push({ path: matchPath, message: 'an empty match never fires in Keptn; remove the selector to fire on pass or warning' });
  }
  for (const [key, value] of entries) {
    const keyPath = [...matchPath, key];
    const task = key === 'result' ? undefined : /^(.+)\.result$/.exec(key)?.[1];
    if (key !== 'result' && task === undefined) {
      out.triggers.push({ ...base, results: [] });
      out.notes.push({ path: keyPath, message: `match key '${key}' never matches; Keptn matches only result and <task>.result` });
    } else if (!isResult(value)) {
      out.triggers.push({ ...base, results: [] });
      const hint = value.startsWith('fail') ? "; did you mean 'fail'?" : '';
      out.notes.push({ path: keyPath, message: `'${value}' never matches, so this trigger never fires; results are ${Results.join(', ')}${hint}` });
    } else if (task === undefined) {
      out.triggers.push({ ...base, results: [value] });
    } else {
      out.triggers.push({ ...base, results: [...Results], taskResults: { [task]: value } });
    }
  }
  return out;
}

function isResult(v: string): v is Result {
  return (Results as readonly string[]).includes(v);
}
