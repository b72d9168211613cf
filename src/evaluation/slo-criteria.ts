/**
 * One SLO criterion string (`<=800`, `<=+10%`, `>-5`) as the lighthouse reads it: an operator,
 * then a number; a sign or a `%` makes it relative to earlier evaluations.
 */
export type CriterionOperator = '<' | '<=' | '=' | '>=' | '>';

export interface Criterion {
  /** As written in the file. */
  text: string;
  operator: CriterionOperator;
  value: number;
  /** Compared with the aggregate of earlier results rather than with `value` itself. */
  relative: boolean;
  /** Relative: `value` is a percentage of the aggregate, not an amount. */
  percent: boolean;
  /** Relative: the target lies above the aggregate (`+`, or a `%` without a sign). */
  increase: boolean;
}

// Longest first, so `<=` is not read as `<` followed by `=`.
const OPERATORS: readonly CriterionOperator[] = ['<=', '>=', '<', '>', '='];
const NUMBER = /^(\d+\.?\d*|\.\d+)$/;

/** The criterion, or a message saying what is wrong with it. */
export function parseCriterion(text: string): Criterion | string {
  // The lighthouse removes spaces before it reads a criterion.
  let rest = text.replace(/ /g, '');
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  if (!operator) return `'${text}' does not start with an operator; use one of <, <=, =, >=, > (e.g. '<=800' or '<=+10%')`;
  rest = rest.slice(operator.length);
  let percent = false;
  let relative = false;
  let increase = false;
  if (rest.endsWith('%')) {
    // A percentage is always relative (Keptn issue #1498), an increase unless signed '-'.
    percent = relative = increase = true;
    rest = rest.slice(0, -1);
  }
  if (rest.startsWith('-') || rest.startsWith('+')) {
    relative = true;
    increase = rest.startsWith('+');
    rest = rest.slice(1);
  }
  if (!NUMBER.test(rest)) return `'${text}' has no valid number after '${operator}'; write e.g. '${operator}800', '${operator}+10%' or '${operator}-5'`;
  return { text, operator, value: Number(rest), relative, percent, increase };
}

export function compare(measured: number, operator: CriterionOperator, target: number): boolean {
  switch (operator) {
    case '<':
      return measured < target;
    case '<=':
      return measured <= target;
    case '=':
      return measured === target;
    case '>=':
      return measured >= target;
    case '>':
      return measured > target;
  }
}

/** The target a relative criterion compares with, given the aggregate of earlier values. */
export function relativeTarget(c: Criterion, aggregate: number): number {
  if (c.percent) return (aggregate * (100 + (c.increase ? c.value : -c.value))) / 100;
  return c.increase ? aggregate + c.value : aggregate - c.value;
}
