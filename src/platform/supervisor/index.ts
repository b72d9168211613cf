/**
 * The supervisor's only door: run app versions as processes on 127.0.0.1, keep them healthy
 * and alive, retire them with a drain, and adopt them again after a Slipway restart.
 */
export { Supervisor } from './supervisor.js';
export type { SupervisorOptions } from './supervisor.js';
export type { Instance, InstanceSpec, ExitEvent, SupervisorEventMap } from './types.js';
export { InstanceStatus } from './status.js';
export { InstanceStartError } from './errors.js';
export type { StartFailure } from './errors.js';
export type { AdoptReport } from './adopt.js';
export type { BackoffOptions } from './backoff.js';
export type { LogLimits } from './logs.js';
