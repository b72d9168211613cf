/** CPU time and resident memory of another process, read from /proc (Linux). */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime: 100 on every Linux Node runs on (USER_HZ). */
const TICKS_PER_S = 100;

export interface ProcSample {
  /** performance.now() when read. */
  at: number;
  /** User + system CPU seconds since the process started. */
  cpuS: number;
  rssMb: number;
}

export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { at: performance.now(), cpuS, rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

/**
 * Seconds a thread has run on a core, and waited runnable for one (its run queue), since it
 * started: /proc/<pid>/task/<tid>/schedstat (Linux, nanoseconds). The wait is what a busy
 * machine adds to every task of that thread, however short the task.
 */
export function sampleSched(pid: number, thread: number): { at: number; runS: number; waitS: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { at: performance.now(), runS: (run ?? Number.NaN) / 1e9, waitS: (wait ?? Number.NaN) / 1e9 };
}

export interface MachineSample {
  at: number;
  /** CPU seconds spent busy (all but idle and iowait), over every core, since boot. */
  busyS: number;
}

/** The whole machine's CPU time from /proc/stat's first line (Linux). */
export function sampleMachine(): MachineSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { at: performance.now(), busyS: (total - idle) / TICKS_PER_S };
}

/** Cores busy between two machine samples (0 … the number of cores). */
export function busyCores(a: MachineSample, b: MachineSample): number {
  return (b.busyS - a.busyS) / ((b.at - a.at) / 1000);
}
