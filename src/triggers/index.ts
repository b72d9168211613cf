/** Triggers: what sets runs off or holds them from outside a run. So far: the freeze calendar. */
export { applies, freezeHold, freezeLookup, holdingAt, nextClosing, openingAt, stageFreeze } from './freeze/calendar.js';
export type { Opening, StageFreeze, WindowSpan } from './freeze/calendar.js';
export { LOCAL_HINT, cronProblem, datedProblem, localProblem, timeZoneProblem } from './freeze/validate.js';
export { addWall, formatLocal, isTimeZone, offsetAt, parseLocal, utcOf, wallOf } from './freeze/zoned.js';
export { AlarmWatcher } from './alarm-watch.js';
export type { AlarmWatchOptions, Watch } from './alarm-watch.js';
export { nextFire, nextFires, scheduleCronProblem } from './schedules/index.js';
