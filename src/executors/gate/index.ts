/**
 * The `gate` task kind (release gates, Azure Pipelines' semantics): its executor, the parser of
 * its properties (for the pipeline loader and for checks that reuse a gate's alarm signals), and
 * the pure sampling rule. This file is the folder's only public door.
 */
export { createGateExecutor, takeSample, type GateExecutorOptions } from './executor.js';
export { parseGate, gateProblems, DEFAULTS as GATE_DEFAULTS, MAX_SIGNALS, type GateSpec, type SignalSpec } from './spec.js';
export { afterSample, waitStep, type Step as GateStep } from './loop.js';
export { readProgress, type GateProgress } from './progress.js';
export { parseCondition, test as testCondition, type Condition } from './condition.js';
export { withinHours, localTime, type BusinessHoursSpec } from './business-hours.js';
export type { AlarmSpec } from './alarm.js';
export type { StageSpec } from './stage.js';
export type { Reading, ReadingValue, SignalType } from './signal.js';
