/**
 * Set-up file of every test file: deployed instances the file leaves running are stopped when
 * it ends. A Slipway server leaves the instances it deployed running when it stops (its next
 * start adopts them), so an e2e test that deploys and then stops its server left the app's
 * processes behind, reparented to init: about 56 MB each, for the rest of the machine's life.
 *
 * Each file gets a mark in its environment, which the servers and instances it starts inherit
 * (the platform passes the server's environment on, less SLIPWAY_*); at the end, every process
 * group holding a process with the mark and an instance id gets SIGTERM, then SIGKILL.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll } from 'vitest';

const id = randomUUID();
process.env['TEST_LEFTOVER_MARK'] = id;
/** The mark as it stands in /proc/<pid>/environ. */
const MARK = `TEST_LEFTOVER_MARK=${id}`;

/** Process groups (other than this process's) with a live process carrying the mark and an instance id. */
function markedGroups(): number[] {
  const own = process.pid;
  const groups = new Set<number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === own) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!env.includes(MARK) || !env.some((v) => v.startsWith('SLIPWAY_INSTANCE_ID='))) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const [state, , pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && Number(pgid) > 1) groups.add(Number(pgid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return [...groups];
}

function signal(groups: readonly number[], sig: NodeJS.Signals): void {
  for (const g of groups) {
    try {
      process.kill(-g, sig);
    } catch {
      // already gone
    }
  }
}

afterAll(async () => {
  const left = markedGroups();
  if (left.length === 0) return;
  signal(left, 'SIGTERM');
  for (let waited = 0; waited < 3000 && markedGroups().length > 0; waited += 100) await new Promise((r) => setTimeout(r, 100));
  signal(markedGroups(), 'SIGKILL');
}, 10_000);
