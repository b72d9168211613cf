export type { DeployTarget, ServiceKey, ServiceStatus, SlotStatus, SlotTraffic, Version } from './target.js';
