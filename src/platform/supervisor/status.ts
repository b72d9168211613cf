/**
 * The life of a supervised instance. One function changes status and checks where it may come from.
 * - starting:   a process runs and has not yet passed `healthyThreshold` checks in a row
 * - ready:      it passed them; the router may send it traffic
 * - unhealthy:  it was ready, then failed `unhealthyThreshold` checks in a row; it still runs
 *               and turns ready again after `healthyThreshold` passes
 * - restarting: its process exited without being asked; a new one starts after the backoff
 * - draining:   being retired: it keeps serving for the drain time, then gets SIGTERM
 * - stopped:    no process, and none will start (retired, stopped, or never became ready)
 */
import { SlipwayError } from '../../core/index.js';

export const InstanceStatus = {
  starting: 'starting',
  ready: 'ready',
  unhealthy: 'unhealthy',
  restarting: 'restarting',
  draining: 'draining',
  stopped: 'stopped',
} as const;

export type InstanceStatus = (typeof InstanceStatus)[keyof typeof InstanceStatus];

const FROM: Record<InstanceStatus, readonly InstanceStatus[]> = {
  starting: ['restarting'],
  ready: ['starting', 'unhealthy'],
  unhealthy: ['ready'],
  restarting: ['starting', 'ready', 'unhealthy'],
  draining: ['starting', 'ready', 'unhealthy', 'restarting'],
  stopped: ['starting', 'ready', 'unhealthy', 'restarting', 'draining'],
};

/** Whether a process is wanted: everything but draining and stopped. */
export function isLive(status: InstanceStatus): boolean {
  return status !== 'draining' && status !== 'stopped';
}

export function transition(holder: { id: string; status: InstanceStatus }, to: InstanceStatus): void {
  if (!FROM[to].includes(holder.status)) {
    throw new SlipwayError('INTERNAL', `instance '${holder.id}' cannot go from ${holder.status} to ${to}`, {
      instanceId: holder.id,
      from: holder.status,
      to,
    });
  }
  holder.status = to;
}
