/**
 * A gate signal's condition: `[SUBJECT] OP LITERAL`, nothing more. SUBJECT is a JSON path
 * (`$.checks[0].status`) for an HTTP body or the word `result` for a Prometheus query; OP one of
 * `== != < <= > >=`; LITERAL a number, a quoted string or true/false. The grammar is small on
 * purpose: a condition is read at load time and every mistake named there, not when the gate
 * has been failing in production for an hour.
 */

export const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];
export type Literal = number | string | boolean;

/** One step into a JSON value: a key or an index. */
export type PathStep = string | number;

export interface Condition {
  /** The subject as written (`$.status`, `result`), or undefined when the condition has none. */
  subject?: string;
  /** For a JSON path subject: its steps (`$` alone is []). */
  path?: PathStep[];
  op: Operator;
  literal: Literal;
  /** The condition as written, for messages. */
  text: string;
}

const PATH = /^\$(?:\.[A-Za-z_][\w-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\]|\['[^'\\]*'\])*/;
const STEP = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\['([^'\\]*)'\]/gy;
const NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const EXAMPLE = 'e.g. `$.status == "green"`, `$.errors < 5` or `result < 0.01`';

/** Steps of a JSON path (`$.a[0]['b c']`), or an error message. */
export function parsePath(text: string): PathStep[] | string {
  const m = PATH.exec(text);
  if (!m || m[0] !== text) {
    return `'${text}' is not a JSON path; write $ followed by .key, [index] or ["key"], e.g. $.status or $.checks[0].state`;
  }
  const steps: PathStep[] = [];
  STEP.lastIndex = 1;
  for (let s = STEP.exec(text); s; s = STEP.exec(text)) {
    if (s[1] !== undefined) steps.push(s[1]);
    else if (s[2] !== undefined) steps.push(Number(s[2]));
    else if (s[3] !== undefined) steps.push(JSON.parse(s[3]) as string);
    else if (s[4] !== undefined) steps.push(s[4]);
  }
  return steps;
}

/**
 * Parses `text`. `subjects` says what may stand on the left: `path` (a JSON path), a word
 * (`result`), or nothing at all when `optional`. Returns the condition or an error message.
 */
export function parseCondition(text: unknown, subjects: { path?: boolean; word?: string; optional?: boolean }): Condition | string {
  if (typeof text !== 'string' || text.trim() === '') return `a condition must be a text like ${EXAMPLE}, got ${JSON.stringify(text) ?? 'nothing'}`;
  const src = text.trim();
  let rest = src;
  let subject: string | undefined;
  let path: PathStep[] | undefined;
  if (rest.startsWith('$')) {
    const m = PATH.exec(rest);
    const written = m?.[0] ?? '$';
    if (!subjects.path) return `condition '${src}' starts with a JSON path; here write ${subjects.word ? `\`${subjects.word} OP VALUE\`` : '`OP VALUE`'}, e.g. \`${subjects.word ?? 'result'} < 0.01\``;
    const steps = parsePath(written);
    if (typeof steps === 'string') return `condition '${src}': ${steps}`;
    subject = written;
    path = steps;
    rest = rest.slice(written.length);
  } else if (/^[A-Za-z_]/.test(rest)) {
    const word = /^[A-Za-z_]\w*/.exec(rest)![0];
    if (word !== subjects.word) {
      const may = [subjects.path ? 'a JSON path like $.status' : undefined, subjects.word ? `\`${subjects.word}\`` : undefined].filter(Boolean).join(' or ');
      return `condition '${src}' compares '${word}'; the left side must be ${may || 'left out'}, ${EXAMPLE}`;
    }
    subject = word;
    rest = rest.slice(word.length);
  } else if (!subjects.optional) {
    return `condition '${src}' has nothing to compare on its left; write ${subjects.path ? 'a JSON path' : `\`${subjects.word ?? 'result'}\``} first, ${EXAMPLE}`;
  }
  rest = rest.trimStart();
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (op === undefined) {
    const got = rest === '' ? 'nothing' : `'${rest.split(/\s/)[0]}'`;
    return `condition '${src}' needs one of ${OPERATORS.join(' ')} after ${subject ?? 'its start'}, got ${got}${rest.startsWith('=') ? ' (equality is ==)' : ''}; ${EXAMPLE}`;
  }
  const literalText = rest.slice(op.length).trim();
  const literal = parseLiteral(literalText);
  if (typeof literal === 'object') return `condition '${src}': ${literal.error}`;
  if (op !== '==' && op !== '!=' && typeof literal !== 'number') {
    return `condition '${src}' orders with ${op}, which needs a number on the right, got ${literalText}; use == or != for strings and booleans`;
  }
  return { ...(subject !== undefined ? { subject } : {}), ...(path ? { path } : {}), op, literal, text: src };
}

function parseLiteral(text: string): Literal | { error: string } {
  if (text === '') return { error: 'a value is missing after the operator: a number, a quoted string, true or false' };
  if (NUMBER.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return { error: `${text} is not a valid double-quoted string` };
    }
  }
  if (/^'[^'\\]*'$/.test(text)) return text.slice(1, -1);
  return { error: `${text} is not a value; write a number (5, 0.01, -1e3), a quoted string ("green") or true/false, and nothing after it` };
}

/** The value at `path` in `doc`, or `{missing}` naming the first step that is not there. */
export function atPath(doc: unknown, path: readonly PathStep[]): { value: unknown } | { missing: string } {
  let v = doc;
  let at = '$';
  for (const step of path) {
    const next = typeof step === 'number' ? `${at}[${step}]` : /^[A-Za-z_][\w-]*$/.test(step) ? `${at}.${step}` : `${at}[${JSON.stringify(step)}]`;
    if (typeof step === 'number' ? Array.isArray(v) && step < v.length : v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step)) {
      v = (v as Record<string | number, unknown>)[step];
      at = next;
    } else {
      return { missing: next };
    }
  }
  return { value: v };
}

/**
 * Whether `value` meets the condition, with the reason in words when it does not. Equality is
 * strict (the string "5" is not the number 5); ordering needs a number.
 */
export function test(value: unknown, c: Pick<Condition, 'op' | 'literal'>): { pass: boolean; why?: string } {
  const shown = showValue(value);
  const want = `${c.op} ${showValue(c.literal)}`;
  if (c.op === '==' || c.op === '!=') {
    const equal = value === c.literal;
    const pass = c.op === '==' ? equal : !equal;
    if (pass) return { pass };
    const typeNote = !equal && value !== null && typeof value !== typeof c.literal ? ` (a ${value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value}, not a ${typeof c.literal})` : '';
    return { pass, why: `${shown}${typeNote} is not ${want}` };
  }
  if (typeof value !== 'number') return { pass: false, why: `${shown} is not a number, so it cannot be ${want}` };
  if (Number.isNaN(value)) return { pass: false, why: `NaN is not ${want}` };
  const n = c.literal as number;
  const pass = c.op === '<' ? value < n : c.op === '<=' ? value <= n : c.op === '>' ? value > n : value >= n;
  return pass ? { pass } : { pass, why: `${shown} is not ${want}` };
}

/** A value as messages show it: strings quoted, long ones cut. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
