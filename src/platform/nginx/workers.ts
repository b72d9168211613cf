/**
 * An nginx reload is asynchronous: after SIGHUP the master starts workers on the new
 * configuration and asks the old ones to quit, and until an old worker has closed its
 * listening sockets it still accepts connections and routes them by the previous weights.
 * These helpers read /proc to tell when a reload is in force: a worker of the new generation
 * runs and no worker of the old one still listens (it may finish requests it already has).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Pids of the processes whose parent is `master`. */
export async function workersOf(master: number): Promise<Set<number>> {
  const out = new Set<number>();
  const fromKernel = await readFile(`/proc/${master}/task/${master}/children`, 'utf8').catch(() => undefined);
  if (fromKernel !== undefined) {
    for (const p of fromKernel.trim().split(/\s+/)) if (p) out.add(Number(p));
    return out;
  }
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Field 4 is the parent pid; the command name (field 2) may hold spaces, so split after its ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === master) out.add(Number(name));
  }
  return out;
}

/** Inodes of the sockets in LISTEN state (IPv4 and IPv6). */
async function listeningInodes(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A is TCP_LISTEN; the inode is the tenth column.
      if (cols[3] === '0A' && cols[9]) out.add(cols[9]);
    }
  }
  return out;
}

/** Whether process `pid` still holds a listening socket (false once it has exited). */
export async function stillListening(pid: number, listening?: Set<string>): Promise<boolean> {
  const inodes = listening ?? (await listeningInodes());
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m && inodes.has(m[1]!)) return true;
  }
  return false;
}

/** True once a worker not in `before` runs under `master` and none of `before` still listens. */
export async function reloadInForce(master: number, before: ReadonlySet<number>): Promise<boolean> {
  const now = await workersOf(master);
  if (![...now].some((p) => !before.has(p))) return false;
  const listening = await listeningInodes();
  for (const p of before) if (await stillListening(p, listening)) return false;
  return true;
}
