/**
 * Watching a running command, whether this process started it or adopted it after a
 * restart: heartbeats while it runs, and on abort or deadline a group kill (SIGTERM, then
 * SIGKILL after the grace period, which also reaches stragglers that closed their output).
 * When Slipway itself is stopping the command is left running, to be adopted after restart.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutorContext } from '../engine/executor.js';
import { isShutdown } from './reason.js';
import { readExitStatus, runsTask, type TaskFiles } from './shell-files.js';
import { killGroup, type Ended } from './shell-process.js';

/** Why supervision stopped the command: the run was aborted, the deadline passed, or Slipway is stopping. */
export type StopReason = 'abort' | 'timeout' | 'detach';

export interface Supervised<T> {
  /** Absent when detached: the command still runs. */
  ended?: T;
  stop?: StopReason;
}

export interface SupervisionOptions {
  killGraceMs: number;
  heartbeatIntervalMs: number;
}

const MAX_TIMER = 2 ** 31 - 1;

/** setTimeout for any delay (Node's own overflows past ~24.8 days and fires at once). */
function after(ms: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(() => (left > MAX_TIMER ? arm(left - MAX_TIMER) : fn()), Math.min(left, MAX_TIMER));
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}

function signalGroup(ctx: ExecutorContext, pid: number, signal: NodeJS.Signals): void {
  try {
    killGroup(pid, signal);
  } catch (err) {
    ctx.log.error('cannot signal the command', { pid, signal, error: String(err) });
  }
}

export function supervise<T>(
  ctx: ExecutorContext,
  pid: number,
  ended: Promise<T>,
  opts: SupervisionOptions,
): Promise<Supervised<T>> {
  return new Promise((resolve, reject) => {
    let stop: StopReason | undefined;
    const heartbeat = setInterval(() => ctx.heartbeat({ pid }), opts.heartbeatIntervalMs);
    const cancelDeadline = after(ctx.task.deadline - ctx.now(), () => halt('timeout'));
    const onAbort = (): void => halt(isShutdown(ctx.signal.reason) ? 'detach' : 'abort');
    const finish = (): void => {
      clearInterval(heartbeat);
      cancelDeadline();
      ctx.signal.removeEventListener('abort', onAbort);
    };
    function halt(why: StopReason): void {
      if (stop) return;
      stop = why;
      if (why === 'detach') {
        finish();
        resolve({ stop });
        return;
      }
      ctx.log.warn(why === 'timeout' ? 'deadline passed, killing the command' : 'aborted, killing the command', { pid });
      signalGroup(ctx, pid, 'SIGTERM');
      setTimeout(() => signalGroup(ctx, pid, 'SIGKILL'), opts.killGraceMs).unref();
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal.aborted) onAbort();
    ended.then(
      (result) => {
        finish();
        resolve(stop ? { ended: result, stop } : { ended: result });
      },
      (err: unknown) => {
        finish();
        reject(err as Error);
      },
    );
  });
}

/** Resolves when an adopted command ended: its status, or undefined if it died unrecorded. */
export async function pollUntilEnded(
  files: TaskFiles,
  pid: number,
  taskId: string,
  intervalMs: number,
  cancel: AbortSignal,
): Promise<Ended | undefined> {
  while (!cancel.aborted) {
    const status = await readExitStatus(files);
    if (status !== undefined) return { exitCode: status, signal: null };
    if (!(await runsTask(pid, taskId))) {
      const late = await readExitStatus(files);
      return late === undefined ? undefined : { exitCode: late, signal: null };
    }
    await sleep(intervalMs, undefined, { signal: cancel }).catch(() => undefined);
  }
  return undefined;
}
