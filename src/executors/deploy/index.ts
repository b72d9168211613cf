export { createDeployExecutor } from './deploy.js';
export type { Targets } from './deploy.js';
export { createReleaseExecutor } from './release.js';
export { createRestartExecutor } from './restart.js';
export { planOf } from './plan.js';
export type { Plan, Step, Strategy } from './plan.js';
