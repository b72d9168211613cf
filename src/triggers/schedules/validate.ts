/** Checks on schedule fields, for the spec loader: each says what is wrong and what is valid. */
import { cronProblem } from '../freeze/validate.js';

/** Why `expr` is not a 5-field cron pattern for a schedule; undefined when it is one. */
export function scheduleCronProblem(expr: string): string | undefined {
  return cronProblem(expr)?.replace('a freeze cron has five fields', 'a schedule cron has five fields').replace("e.g. '0 16 * * 5' (Fridays 16:00)", "e.g. '0 3 * * *' (every day at 03:00)");
}
