/** Why ctx.signal aborted: as text for messages, and whether it is Slipway stopping. */

export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'no reason given' : String(reason);
}

export { isShutdown } from '../engine/executor.js';
