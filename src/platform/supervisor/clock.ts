/**
 * Time for the supervisor comes from an injected Clock (the engine's port). This is the
 * wall-clock default, kept here so that loading the supervisor does not load the engine.
 */
import type { Clock } from '../../engine/index.js';

export type { Clock, TimerHandle } from '../../engine/index.js';

export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const h = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(h) };
  },
};

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
