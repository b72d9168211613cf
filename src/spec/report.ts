/**
 * Turns problems into the one error (or the warnings) a user reads: each line names
 * `file:line:col`, the field path, the bad value and what is valid.
 */
import { SlipwayError } from '../core/index.js';
import { formatPath } from './problems.js';
import type { Path, Problem } from './problems.js';
import { locate } from './source.js';
import type { Source } from './source.js';

interface Located {
  code: Problem['code'];
  line: number;
  column: number;
  field: string;
  message: string;
}

function place(source: Source, p: Problem): Located {
  const { line, column } = p.at ?? locate(source, p.path, p.onKey);
  return { code: p.code, line, column, field: p.field ?? formatPath(p.path), message: p.message };
}

function render(source: Source, l: Located): string {
  return `${source.file}:${l.line}:${l.column}: ${l.field === '' ? '' : `${l.field}: `}${l.message}`;
}

/** Throws one SlipwayError for all `problems`, earliest in the file first. */
export function throwProblems(source: Source, problems: readonly Problem[]): never {
  const located = problems
    .map((p) => place(source, p))
    .sort((a, b) => a.line - b.line || a.column - b.column);
  const first = located[0];
  if (!first) throw new Error('throwProblems needs at least one problem');
  // One line per problem: the first line alone is a complete message for logs that cut.
  const message = located.map((l) => render(source, l)).join('\n');
  throw new SlipwayError(first.code, message, {
    file: source.file,
    line: first.line,
    column: first.column,
    ...(first.field === '' ? {} : { field: first.field }),
    problems: located,
  });
}

/** A warning string, positioned like an error line. */
export function warningAt(source: Source, path: Path, message: string, onKey = false): string {
  return render(source, place(source, { code: 'SPEC_FIELD', path, message, onKey }));
}
