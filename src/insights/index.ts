/** The insights folder's only public door: DORA figures and cycle time from the event log. */
export { DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, computeDora, productionStage, windowOf, type DoraFigures, type DoraQuery } from './compute.js';
export { changeFailRate, cycleTimes, leadTime, recoveryTime, reworkRate, type Arrival, type Duration, type Rate, type Recovery } from './dora.js';
export { deploymentFrequency, type DeploymentFrequency, type FrequencyBucket } from './frequency.js';
export { outcomes, type Deployment, type DeploymentKind, type Outcome, type Revert } from './outcomes.js';
export { median } from './stats.js';
export { registerDoraGauges, type GaugeSource } from './gauges.js';
