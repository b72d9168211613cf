export type { DeployTarget, ServiceKey, ServiceStatus, SlotStatus, SlotTraffic, Version } from './target.js';
export { SLOT_HEADER } from './router/index.js';
