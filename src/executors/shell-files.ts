/**
 * The files a shell task keeps in ctx.workDir, named after its task id. They outlive the
 * Slipway process that started the command, and are how a restarted Slipway tells whether
 * the command finished (`.exit`), still runs (`.pid`) or never started (neither):
 * - `<id>.pid`: the wrapper's pid, which leads the command's process group
 * - `<id>.exit`: the command's exit status, written (tmp, then rename) when it ended
 * - `<id>.log`: stdout and stderr, bounded by the wrapper
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTail } from './bounded.js';

export interface TaskFiles {
  /** Path without extension; the wrapper appends `.pid`, `.exit`, `.log`, `.status`. */
  base: string;
  pid: string;
  exit: string;
  log: string;
}

/** A file name for any task id: readable, and distinct even where sanitising would collide. */
export function safeTaskName(taskId: string): string {
  const readable = taskId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  const hash = createHash('sha256').update(taskId).digest('hex').slice(0, 10);
  return `${readable}-${hash}`;
}

export function taskFiles(workDir: string, taskId: string): TaskFiles {
  const base = join(workDir, safeTaskName(taskId));
  return { base, pid: `${base}.pid`, exit: `${base}.exit`, log: `${base}.log` };
}

async function readInteger(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

export const readExitStatus = (files: TaskFiles): Promise<number | undefined> => readInteger(files.exit);
export const readPid = (files: TaskFiles): Promise<number | undefined> => readInteger(files.pid);

const hasProc = existsSync('/proc/self/environ');

/**
 * Whether `pid` is alive and is this task's command: its environment carries
 * SLIPWAY_TASK_ID=<taskId>, which tells it apart from an unrelated process that reused
 * the pid. A zombie has an empty environment, so it counts as ended.
 */
export async function runsTask(pid: number, taskId: string): Promise<boolean> {
  if (!hasProc) return isAlive(pid);
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(`SLIPWAY_TASK_ID=${Buffer.from(taskId).toString('latin1')}`);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last `limit` bytes of the log, as text; empty when there is no log. */
export async function readLogTail(path: string, limit: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit + 3); // + room to drop a split UTF-8 character
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    return decodeTail(buf, limit);
  } finally {
    await handle.close();
  }
}
