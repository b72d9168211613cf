/**
 * Starting a shell task so that it survives the Slipway process. A small wrapper shell
 * leads a new process group (detached), records its pid before the command starts and
 * the command's exit status when it ends, and writes output to the log file itself
 * (through an unbuffered `head -c`, so the log is current and stops growing at its cap;
 * `dd bs=1` where there is no `stdbuf`). Nothing flows through a pipe
 * to Slipway: if Slipway dies, the command neither gets SIGPIPE nor loses its output.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { TaskFiles } from './shell-files.js';

/**
 * $1 command, $2 files base path, $3 log cap in bytes. The wrapper finds its own tools
 * on a standard PATH; the command gets the task's PATH.
 * The wrapper and the command's subshell trap TERM/INT/HUP with a no-op so that a group
 * kill still lets them record the command's status (143 for SIGTERM); the log writer
 * ignores them so it drains what the dying command printed. SIGKILL records nothing.
 */
const WRAPPER = `b=$2 p=$PATH
PATH=/usr/bin:/bin:$PATH
echo $$ > "$b.pid.tmp" && mv -f "$b.pid.tmp" "$b.pid"
trap : TERM INT HUP
{ trap : TERM INT HUP; PATH=$p /bin/sh -c "$1" </dev/null 2>&1; echo $? > "$b.status"; } | {
  trap '' TERM INT HUP
  if command -v stdbuf >/dev/null 2>&1; then stdbuf -o0 head -c "$3"; else dd bs=1 count="$3" 2>/dev/null; fi
  n=$(wc -c | tr -d ' ')
  if [ "$n" -gt 0 ]; then printf '\\n[slipway: log truncated at %s bytes; %s more bytes dropped]\\n' "$3" "$n"; fi
} >> "$b.log"
status=$(cat "$b.status" 2>/dev/null) || status=255
rm -f "$b.status"
echo "$status" > "$b.exit.tmp" && mv -f "$b.exit.tmp" "$b.exit"
exit "$status"
`;

export interface Ended {
  /** The command's exit status; null when the wrapper itself was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface Started {
  pid: number;
  ended: Promise<Ended>;
}

export function startCommand(
  command: string,
  files: TaskFiles,
  opts: { cwd: string; env: Record<string, string | undefined>; logLimitBytes: number },
): Promise<Started> {
  const fd = openSync(files.log, 'a');
  try {
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'slipway-task', command, files.base, String(opts.logLimitBytes)], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const ended = new Promise<Ended>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve({ pid: child.pid!, ended }));
    });
  } finally {
    closeSync(fd);
  }
}

/** Sends `signal` to the whole process group led by `pid`; a group already gone is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
