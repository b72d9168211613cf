/**
 * Load tests and traffic comparison: the `loadtest` and `traffic-compare` task kinds, which
 * drive the candidate (on the deploy target or at any URL) with recorded or synthetic traffic.
 * This file is the folder's only public door.
 */
export { createLoadtestExecutor } from './loadtest.js';
export type { JudgedLevel } from './loadtest.js';
export { createTrafficCompareExecutor, fieldOf } from './compare.js';
export type { Difference } from './compare.js';
export type { LevelFigures } from './drive.js';
export { percentile } from './drive.js';
export { judgeLevel } from './judge.js';
export { parseLoadtest } from './spec.js';
export type { LoadtestSpec } from './spec.js';
export { parseCompare } from './compare-spec.js';
export type { ReplayRequest, TrafficDeps, TrafficSource } from './endpoint.js';
