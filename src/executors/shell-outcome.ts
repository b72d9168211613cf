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
  if (signal) return `exit code ${code} (a shell's code for a process killed by ${signal})`;
  if (code === 127) return `exit code 127 (a shell's code for a command not found)`;
  if (code === 126) return `exit code 126 (a shell's code for a command found but not executable)`;
  return `exit code ${code}`;
}

/** Lines of output a failure message carries, and the length each is cut to. */
const TAIL_LINES = 10;
const TAIL_LINE_CHARS = 300;

/**
 * What a person needs to see why the command failed: its last lines of output and where
 * the whole log is. Nothing is added when the command printed nothing.
 */
function failureDetail(output: { tail: string; logFile: string }): string {
  const text = output.tail.replace(/\s+$/, '');
  if (text === '') return '';
  const cut = (l: string) => (l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}…` : l);
  const last = text.split(/\r?\n/).slice(-TAIL_LINES).map((l) => `  ${cut(l)}`);
  const label = last.length === 1 ? 'its last line of output' : `its last ${last.length} lines of output`;
  return `\n${label}:\n${last.join('\n')}\nfull log: ${output.logFile}`;
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
  if (exitCode === null) return fail(`command was killed by ${signal ?? 'an unknown signal'}${failureDetail(output)}`);
  return fail(`command failed with ${statusText(exitCode)}${failureDetail(output)}`);
}
