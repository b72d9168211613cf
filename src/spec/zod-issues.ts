/**
 * zod issues → problems. zod's own wording is replaced by messages that show the bad value
 * and what is valid, and a failed union reports the branch the user evidently meant.
 */
import type { z } from 'zod';
import { list, problem, show } from './problems.js';
import type { Path, Problem } from './problems.js';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const NOUN: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** Passed to `safeParse` as `error`; messages set on a schema take precedence over it. */
export function errorMap(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      const expected = NOUN[iss.expected] ?? iss.expected;
      return iss.input === undefined ? `is required (${expected})` : `expected ${expected}, got ${show(iss.input)}`;
    }
    case 'invalid_value':
      return `${show(iss.input)} is not valid; valid: ${list(iss.values.map(String))}`;
    case 'too_small':
      if (iss.origin === 'array') return `needs at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return 'must not be empty';
      return `${show(iss.input)} is too small; the minimum is ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array') return `has too many items; the maximum is ${iss.maximum}`;
      return `${show(iss.input)} is too large; the maximum is ${iss.maximum}`;
    case 'unrecognized_keys':
      return 'is not a known key';
    case 'invalid_format':
      return `${show(iss.input)} does not match ${iss.pattern ?? iss.format}`;
    default:
      return `${show(iss.input)} is not valid`;
  }
}

/** Problems for `issues`, whose paths are relative to `base`. */
export function issuesToProblems(issues: readonly Issue[], base: Path = []): Problem[] {
  return issues.flatMap((issue) => toProblems(issue, base));
}

function toProblems(issue: Issue, base: Path): Problem[] {
  const path = [...base, ...(issue.path as (string | number)[])];
  if (issue.code === 'unrecognized_keys') {
    // strict() puts the allowed keys in the message; point at each unknown key itself.
    return issue.keys.map((key) => problem('SPEC_FIELD', [...path, key], `unknown key '${key}'; ${issue.message}`, true));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branch = likelyBranch(issue.errors);
    if (branch) return issuesToProblems(branch, path);
  }
  return [problem('SPEC_FIELD', path, issue.message)];
}

/**
 * The union branch whose shape the input matches best, or undefined when it matches none
 * (then the union's own message, which lists the accepted forms, is clearer).
 */
function likelyBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  let best: readonly Issue[] | undefined;
  let bestScore = Infinity;
  for (const branch of branches) {
    const score = branch.reduce((sum, issue) => sum + mismatch(issue), 0);
    if (score < bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return bestScore >= WRONG_TYPE ? undefined : best;
}

const WRONG_TYPE = 100;

/** How strongly an issue says "the input is not of this branch's shape". */
function mismatch(issue: Issue): number {
  const depth = issue.path.length;
  if (issue.code === 'unrecognized_keys') return issue.keys.length;
  if (depth === 0 && issue.code === 'invalid_type') return WRONG_TYPE;
  // An enum given a list or mapping is a shape mismatch, not a misspelt value.
  if (depth === 0 && issue.code === 'invalid_value' && typeof issue.input === 'object') return WRONG_TYPE;
  if (depth === 1 && issue.code === 'invalid_type' && issue.input === undefined) return 1;
  return 0;
}
