/** The supervisor's errors, coded from the shared registry. */
import { SlipwayError, type ErrorCode } from '../../core/index.js';

const START_FAILED: ErrorCode = 'INSTANCE_START_FAILED';
const UNKNOWN: ErrorCode = 'UNKNOWN_INSTANCE';
const CONFLICT: ErrorCode = 'ALREADY_EXISTS';

export type StartFailure = 'timeout' | 'exited' | 'stopped' | 'spawn';

/** A new process never became ready; `logTail` holds the last lines it printed. */
export class InstanceStartError extends SlipwayError {
  override readonly name = 'InstanceStartError';
  constructor(
    readonly instanceId: string,
    readonly reason: StartFailure,
    detail: string,
    readonly logTail: string[],
    options?: { cause?: unknown },
  ) {
    const tail = logTail.length > 0 ? `; last log lines:\n${logTail.join('\n')}` : '; it printed nothing';
    super(START_FAILED, `instance '${instanceId}' did not become ready: ${detail}${tail}`, { instanceId, reason, logTail }, options);
  }
}

export function unknownInstance(id: string, known: string[]): SlipwayError {
  const list = known.length > 0 ? known.join(', ') : 'none';
  return new SlipwayError(UNKNOWN, `no instance '${id}' is supervised; supervised instances: ${list}`, { instanceId: id });
}

export function conflictingInstance(id: string, dir: string, wanted: string): SlipwayError {
  return new SlipwayError(
    CONFLICT,
    `instance '${id}' already runs from ${dir}, not ${wanted}; retire it first or use a new instance id`,
    { instanceId: id, dir, wanted },
  );
}
