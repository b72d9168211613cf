/** Promotion schedules: the cron calendar in a zone that the core asks through `ctx.nextFire`. */
export { nextFire, nextFires } from './next-fire.js';
export { scheduleCronProblem } from './validate.js';
