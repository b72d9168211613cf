/**
 * What must happen outside the core after a decision commits. The engine writes the
 * durable ones (dispatch, resume, timers) to the store in the same transaction as the
 * events that caused them, and carries them out after the commit.
 */
import type { TimerInput } from './inputs.js';

export interface Timer {
  id: string;
  project: string;
  dueAt: number;
  /** What the engine submits when it comes due (its id replaced by `<timer id>@<due>`). */
  input: TimerInput;
}

export type Effect =
  /** Hand the task (by id) to its executor. Durable: re-dispatched after a crash until the task settles. */
  | { type: 'dispatch'; taskId: string; project: string }
  /** Wake a waiting task's executor with a signal or its timer. Durable like dispatch. */
  | { type: 'resume'; taskId: string; project: string; signal: string; payload?: Readonly<Record<string, unknown>>; by?: string }
  /** The task ended (or its run did): drop its dispatch and resume rows. */
  | { type: 'settle'; taskId: string }
  /** Tell a running executor to stop (abort, timeout). Best effort. */
  | { type: 'abort'; taskId: string; reason: string }
  | { type: 'setTimer'; timer: Timer }
  | { type: 'cancelTimer'; id: string };
