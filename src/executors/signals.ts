/** Helpers shared by the executors that suspend and wait for a signal (wait, approval). */
import { NonRetryableTaskError, type Resumption } from '../engine/executor.js';

/** `by alice: looks good` from a resumption's `by` and a payload field. */
export function attribution(resumption: Resumption, field: string): string {
  const by = resumption.by ? ` by ${resumption.by}` : '';
  const text = resumption.payload?.[field];
  return typeof text === 'string' && text !== '' ? `${by}: ${text}` : by;
}

export function unknownSignal(kind: string, taskName: string, signal: string, valid: readonly string[]): NonRetryableTaskError {
  return new NonRetryableTaskError(
    `${kind} task '${taskName}' cannot handle signal '${signal}'; valid signals: ${valid.join(', ')}`,
  );
}
