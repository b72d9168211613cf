/** Turning how a shell command ended into a task outcome. */
import { constants } from 'node:os';
import type { ExecutorContext, Finished } from '../engine/executor.js';
import { formatDurationMs } from './duration.js';
import { describeReason } from './reason.js';
import type { Ended } from './shell-process.js';
import type { StopReason } from './shell-supervise.js';

export interface CommandEnd {
  /** Undefined when the command ended without recording a status (killed while Slipway was down). */
  ended?: Ended;
  stop?: StopReason;
  pid?: number;
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

function statusText(code: number): string {
  const signal = code > 128 ? signalNames.get(code - 128) : undefined;
  return signal ? `exit code ${code} (a shell's code for a process killed by ${signal})` : `exit code ${code}`;
}

export function commandOutcome(
  ctx: ExecutorContext,
  end: CommandEnd,
  output: { tail: string; logFile: string },
  warningExitCode: number | undefined,
): Finished {
  const exitCode = end.ended?.exitCode ?? null;
  const signal = end.ended?.signal ?? null;
  const out = { exitCode, ...(signal ? { signal } : {}), ...output };
  const fail = (message: string): Finished => ({ result: 'fail', message, output: out });
  if (end.stop === 'timeout') {
    return fail(`timed out after ${formatDurationMs(ctx.task.deadline - ctx.task.triggeredAt)}; the command was killed`);
  }
  if (end.stop === 'abort') return fail(`aborted (${describeReason(ctx.signal.reason)}); the command was killed`);
  if (!end.ended) {
    return fail(
      `the command (pid ${end.pid}) ended while Slipway was down without recording an exit status ` +
        '(killed, or the machine restarted); it is not run again because it may have had effects',
    );
  }
  if (exitCode === 0) return { result: 'pass', message: 'command exited with 0', output: out };
  if (exitCode !== null && exitCode === warningExitCode) {
    return { result: 'warning', message: `command exited with ${exitCode} (warningExitCode)`, output: out };
  }
  if (exitCode === null) return fail(`command was killed by ${signal ?? 'an unknown signal'}`);
  return fail(`command failed with ${statusText(exitCode)}`);
}
