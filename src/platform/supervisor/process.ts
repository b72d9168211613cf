/**
 * The operating-system side of an instance. Each runs under a small wrapper shell that
 * leads its own process group (so a signal reaches everything the app started) and stays
 * its parent to the end: the wrapper traps TERM with a no-op, so on a group SIGTERM it waits
 * for the app to drain, reaps it, and exits with its status. The app's output goes straight
 * to the log file, never through a pipe to Slipway, so the app outlives a Slipway restart.
 * SLIPWAY_INSTANCE_ID in its environment is how a restarted Slipway recognises it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const WRAPPER = 'trap : TERM INT HUP\neval "$1"';

export interface SpawnOptions {
  command: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** File descriptor for stdout and stderr (the instance log, opened for append). */
  logFd: number;
}

export function spawnApp(opts: SpawnOptions): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'slipway-app', opts.command], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', opts.logFd, opts.logFd],
  });
  // Slipway may exit while its apps keep running; they are adopted after the restart.
  child.unref();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      resolve(child);
    });
  });
}

/** Signals the whole group led by `pgid`; a group that is gone already is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const hasProc = existsSync('/proc/self/stat');

/** `[state, pgrp]` from /proc/<pid>/stat; the command name may hold spaces and parentheses. */
function statOf(pid: string | number): [string, number] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return [fields[0]!, Number(fields[2])];
  } catch {
    return undefined;
  }
}

/**
 * Whether any process of the group still runs. Zombies do not count: where nothing reaps
 * orphans promptly (a container's init), a dead app would otherwise look alive.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!hasProc) return true;
  const leader = statOf(pgid);
  if (leader && leader[0] !== 'Z') return true;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(name);
    if (stat && stat[1] === pgid && stat[0] !== 'Z') return true;
  }
  return false;
}

const marker = (id: string): string => `SLIPWAY_INSTANCE_ID=${Buffer.from(id).toString('latin1')}`;

/**
 * The process groups in which any process carries this instance's id: what must be stopped
 * before the instance starts again, including a process started just before a crash whose
 * pid never reached the desired state. Empty without /proc.
 */
export function instanceGroups(id: string): number[] {
  if (!hasProc) return [];
  const groups = new Set<number>();
  const own = statOf('self')?.[1];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue;
    }
    const stat = environ.split('\0').includes(marker(id)) ? statOf(name) : undefined;
    if (stat && stat[0] !== 'Z' && stat[1] > 1 && stat[1] !== own) groups.add(stat[1]);
  }
  return [...groups];
}

/**
 * Whether `pid` is alive and is this instance's process (its environment carries
 * SLIPWAY_INSTANCE_ID=<id>), not an unrelated process that reused the pid. A zombie has an
 * empty environment, so it counts as gone. Without /proc only liveness can be checked.
 */
export async function runsInstance(pid: number, id: string): Promise<boolean> {
  if (!hasProc) return groupAlive(pid);
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(marker(id));
  } catch {
    return false;
  }
}
