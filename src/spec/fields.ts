/** zod building blocks shared by the slipway.yaml and Keptn shipyard schemas. */
import { z } from 'zod';
import { Results } from '../core/index.js';
import { DURATION_HINT, DURATION_PATTERN } from './duration.js';
import { show } from './problems.js';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** A stage, task, sequence or service name: it appears in event types, so no dots or spaces. */
export function name(what: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : `expected a ${what} name, got ${show(iss.input)}`) })
    .regex(NAME_PATTERN, {
      error: (iss) =>
        `${show(iss.input)} is not a valid ${what} name; use letters, digits, '-' and '_', starting with a letter or digit`,
    });
}

export const duration = z
  .string({ error: (iss) => (iss.input === undefined ? undefined : `expected a duration, got ${show(iss.input)}; ${DURATION_HINT}`) })
  .regex(new RegExp(DURATION_PATTERN), { error: (iss) => `${show(iss.input)} is not a duration; ${DURATION_HINT}` });

export const result = z.enum(Results);

/** An object that rejects unknown keys, naming the ones it allows. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = `allowed keys: ${Object.keys(shape).join(', ')}`;
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? allowed : undefined) });
}

export const properties = z.record(z.string(), z.unknown());
