/** Typed engine events that tests await and the dashboard streams. */
import { EventEmitter } from 'node:events';
import type { Run, SlipwayEvent } from '../core/index.js';

export interface EngineEventMap {
  /** Every event, after the transaction that wrote it committed. */
  event: [SlipwayEvent];
  'run:queued': [Run];
  'run:started': [Run];
  'run:finished': [Run];
  'task:dispatched': [{ taskId: string; kind: string; at: number }];
  /** A task whose kind no built-in executor serves waits for an outside executor. */
  'task:unserved': [{ taskId: string; kind: string }];
  /** A batch committed: how many inputs and events it carried. */
  committed: [{ inputs: number; events: number; ms: number }];
  /** The engine could not commit (the store failed); state was reloaded. */
  'store:error': [Error];
}

export class EngineEmitter extends EventEmitter<EngineEventMap> {}
