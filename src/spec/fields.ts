/** zod building blocks shared by the slipway.yaml and Keptn shipyard schemas. */
import { z } from 'zod';
import { Results } from '../core/index.js';
import { DURATION_HINT, DURATION_PATTERN, durationBoundsProblem, isDuration } from './duration.js';
import { DOTTED_NAME, NAME_MAX, PLAIN_NAME, nameProblem } from './names.js';
import { show } from './problems.js';

/**
 * A name (see names.ts). `dots`: project and service names may contain `.`; stage, sequence
 * and task names and kinds may not.
 */
export function name(what: string, dots = false) {
  const pattern = dots ? DOTTED_NAME : PLAIN_NAME;
  const problem = (input: unknown) => nameProblem(String(input), what, dots);
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : `expected a ${what} name, got ${show(iss.input)}`) })
    .max(NAME_MAX, { error: (iss) => problem(iss.input), abort: true })
    .regex(pattern, { error: (iss) => problem(iss.input) });
}

/**
 * A duration field. Timeouts and soaks last at least a second; where 0 means "none"
 * (`zero`), 0 is allowed too. Nothing lasts more than a year.
 */
export function duration(what: string, zero: boolean) {
  return z
    .string({ error: (iss) => durationTypeProblem(iss.input) })
    .regex(new RegExp(DURATION_PATTERN), { error: (iss) => `${show(iss.input)} is not a duration; ${DURATION_HINT}` })
    .check((ctx) => {
      if (!isDuration(ctx.value)) return;
      const message = durationBoundsProblem(ctx.value, what, zero);
      if (message !== undefined) ctx.issues.push({ code: 'custom', message, input: ctx.value });
    });
}

/** A bare number is most likely a duration without its unit: say which unit to add. */
function durationTypeProblem(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) {
    return `expected a duration, got the number ${input}; add a unit, e.g. '${input}s' or '${input}m'`;
  }
  return `expected a duration, got ${show(input)}; ${DURATION_HINT}`;
}

export const result = z.enum(Results);

/** An object that rejects unknown keys, naming the ones it allows. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = `allowed keys: ${Object.keys(shape).join(', ')}`;
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? allowed : undefined) });
}

export const properties = z.record(z.string(), z.unknown());
