/**
 * Stopping an instance's process group: SIGTERM (the app drains and exits), then SIGKILL
 * for whatever is left after the grace period. Resolves once nothing of the group runs, so
 * a new process of the same instance never overlaps the old one on its port.
 */
import { sleep, type Clock } from './clock.js';
import { groupAlive, signalGroup } from './process.js';

const POLL_MS = 25;
/** After SIGKILL the kernel needs a moment; past this the group is given up on. */
const AFTER_KILL_MS = 5000;

export interface Terminated {
  /** Whether SIGKILL was needed. */
  killed: boolean;
}

async function waitGone(pgid: number, ms: number, clock: Clock): Promise<boolean> {
  const until = clock.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (clock.now() >= until) return false;
    await sleep(clock, Math.min(POLL_MS, Math.max(1, until - clock.now())));
  }
}

export async function terminate(pgid: number, graceMs: number, clock: Clock): Promise<Terminated> {
  signalGroup(pgid, 'SIGTERM');
  if (await waitGone(pgid, graceMs, clock)) return { killed: false };
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, AFTER_KILL_MS, clock);
  return { killed: true };
}

/** SIGKILL at once: for what is left of a crashed instance, and a start that failed. */
export async function kill(pgid: number, clock: Clock): Promise<void> {
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, AFTER_KILL_MS, clock);
}
