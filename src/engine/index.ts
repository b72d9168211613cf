export { Engine, sha256 } from './engine.js';
export type { EngineOptions } from './engine.js';
export type { Clock, TimerHandle } from './clock.js';
export { FakeClock, systemClock } from './clock.js';
export type { EngineEventMap } from './emitter.js';
export * from './executor.js';
export type { ClaimedTask, ClaimRequest } from './claims.js';
export { FileClock, testClockFromEnv } from './file-clock.js';
export { StoreHealth, StoreStates, type Readiness, type StoreState } from './store-health.js';
