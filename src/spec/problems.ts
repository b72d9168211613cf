/**
 * A problem found in a pipeline file, before it is given a line and column. Every check
 * collects problems instead of throwing, so one error can report all of them.
 */
import type { ErrorCode } from '../core/index.js';

export type Path = readonly (string | number)[];

export type SpecErrorCode = Extract<ErrorCode, 'SPEC_YAML' | 'SPEC_FIELD' | 'SPEC_REFERENCE'>;

export interface Problem {
  code: SpecErrorCode;
  path: Path;
  message: string;
  /** Point at the key of the last path segment rather than its value (unknown keys). */
  onKey?: boolean;
  /** The field as messages name it, when `path` only locates it (an executor's property names). */
  field?: string;
  /** A position known up front (YAML syntax errors); otherwise it is looked up by `path`. */
  at?: { line: number; column: number };
}

export function problem(code: SpecErrorCode, path: Path, message: string, onKey = false): Problem {
  return { code, path, message, onKey };
}

/** `spec.stages[1].after[0]`; keys that are not plain words are quoted: `match["evaluation.result"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A bad value as a message shows it: strings quoted, collections abbreviated. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value !== 'object') return String(value);
  const kind = Array.isArray(value) ? 'a list' : 'a mapping';
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return kind;
  }
  return `${kind} ${json.length > 60 ? `${json.slice(0, 57)}...` : json}`;
}

/** `a, b, c`, or `(none)` so a message never ends in an empty list. */
export function list(items: Iterable<string>): string {
  const all = [...items];
  return all.length === 0 ? '(none)' : all.join(', ');
}

/** A problem for every name that repeats an earlier one; `within` says where names must be unique. */
export function duplicates(items: readonly { name: string; path: Path }[], what: string, within: string): Problem[] {
  const first = new Map<string, Path>();
  return items.flatMap(({ name, path }) => {
    const at = first.get(name);
    if (at === undefined) {
      first.set(name, path);
      return [];
    }
    return [problem('SPEC_FIELD', path, `${what} '${name}' is defined twice in ${within} (first at ${formatPath(at)}); ${what} names must be unique`)];
  });
}
