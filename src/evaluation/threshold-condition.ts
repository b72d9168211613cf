/**
 * The condition grammar of threshold analysis (Argo Rollouts' `successCondition` and
 * `failureCondition`), kept small and strict so a typo fails when the pipeline loads rather
 * than reading as "never true" during a canary:
 *
 *   condition  := or
 *   or         := and ('||' and)*
 *   and        := unary ('&&' unary)*
 *   unary      := '!' unary | '(' or ')' | 'isNaN(' value ')' | value op value
 *   value      := 'result' | 'result[0]' | number
 *   op         := '<' | '<=' | '>' | '>=' | '==' | '!='
 *
 * `result[0]` is accepted because Argo's Prometheus examples read the first element of a
 * vector; here a measurement is one number, so it is the same as `result`.
 */
import { SlipwayError } from '../core/index.js';

export type ConditionOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type Condition =
  | { kind: 'compare'; op: ConditionOperator; left: Operand; right: Operand }
  | { kind: 'isNaN'; value: Operand }
  | { kind: 'not'; inner: Condition }
  | { kind: 'and' | 'or'; left: Condition; right: Condition };

type Operand = { kind: 'result' } | { kind: 'number'; value: number };

const TOKEN = /\s*(result\s*\[\s*0\s*\]|result|isNaN|&&|\|\||<=|>=|==|!=|<|>|!|\(|\)|-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/iy;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) {
      const word = /^\s*(\S+?)(?=[\s<>=!&|()]|$)/.exec(text.slice(at))?.[1] ?? text.slice(at).trim().slice(0, 12);
      const hint = /^(and|or|not)$/i.test(word) ? ' (write && for and, || for or, ! for not)' : '';
      throw conditionError(text, `unexpected ${JSON.stringify(word)} at character ${at + 1 + (/^\s*/.exec(text.slice(at))?.[0].length ?? 0)}${hint}`);
    }
    out.push(m[1]!.replace(/\s+/g, ''));
    at = TOKEN.lastIndex;
  }
  return out;
}

function conditionError(text: string, why: string): SlipwayError {
  return new SlipwayError(
    'SPEC_FIELD',
    `condition ${JSON.stringify(text)}: ${why}; write e.g. \`result < 0.01\`, \`result >= 0.95 && result <= 1\` (operators < <= > >= == !=, && || ! and parentheses, isNaN(result))`,
    { value: text },
  );
}

/** Parses a condition; throws a SlipwayError (SPEC_FIELD) naming what is wrong and an example. */
export function parseCondition(text: string): Condition {
  if (typeof text !== 'string' || text.trim() === '') throw conditionError(String(text), 'it is empty');
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];

  const operand = (): Operand => {
    const t = take();
    if (t === undefined) throw conditionError(text, 'it ends where a value was expected');
    if (/^result(\[0\])?$/i.test(t)) return { kind: 'result' };
    const n = Number(t);
    if (/^-?[\d.]/.test(t) && Number.isFinite(n)) return { kind: 'number', value: n };
    throw conditionError(text, `expected \`result\` or a number, got ${JSON.stringify(t)}`);
  };
  const unary = (): Condition => {
    const t = peek();
    if (t === '!') {
      take();
      return { kind: 'not', inner: unary() };
    }
    if (t === '(') {
      take();
      const inner = or();
      if (take() !== ')') throw conditionError(text, 'a parenthesis is not closed');
      return inner;
    }
    if (t !== undefined && t.toLowerCase() === 'isnan') {
      take();
      if (take() !== '(') throw conditionError(text, 'isNaN takes its value in parentheses: isNaN(result)');
      const value = operand();
      if (take() !== ')') throw conditionError(text, 'isNaN( is not closed');
      return { kind: 'isNaN', value };
    }
    const left = operand();
    const op = take();
    if (op === undefined) throw conditionError(text, `it compares nothing: add an operator and a value, e.g. \`result < 0.01\``);
    if (!['<', '<=', '>', '>=', '==', '!='].includes(op)) throw conditionError(text, `expected a comparison operator, got ${JSON.stringify(op)}`);
    const right = operand();
    if (left.kind === 'number' && right.kind === 'number') throw conditionError(text, 'a comparison of two numbers does not look at the result');
    return { kind: 'compare', op: op as ConditionOperator, left, right };
  };
  const and = (): Condition => {
    let left = unary();
    while (peek() === '&&') {
      take();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  function or(): Condition {
    let left = and();
    while (peek() === '||') {
      take();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }
  const out = or();
  if (i < tokens.length) throw conditionError(text, `unexpected ${JSON.stringify(tokens[i])} after a complete condition (join conditions with && or ||)`);
  return out;
}

function valueOf(o: Operand, result: number): number {
  return o.kind === 'result' ? result : o.value;
}

/** Whether `condition` holds for `result`. NaN compares false with everything (but `!=`), as in Go. */
export function evaluateCondition(condition: Condition, result: number): boolean {
  switch (condition.kind) {
    case 'not':
      return !evaluateCondition(condition.inner, result);
    case 'and':
      return evaluateCondition(condition.left, result) && evaluateCondition(condition.right, result);
    case 'or':
      return evaluateCondition(condition.left, result) || evaluateCondition(condition.right, result);
    case 'isNaN':
      return Number.isNaN(valueOf(condition.value, result));
    case 'compare': {
      const a = valueOf(condition.left, result);
      const b = valueOf(condition.right, result);
      switch (condition.op) {
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case '==':
          return a === b;
        case '!=':
          return a !== b;
      }
    }
  }
}
