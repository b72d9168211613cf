/** Removing what a pull-request environment has on the platform: every slot of every service, then the service and its router. */
import type { ServiceKey, ServiceStatus } from '../../platform/index.js';

/** Where the environments run: the local platform (retire every slot, then forget the service and its router). */
export interface EnvironmentPlatform {
  status(key: ServiceKey): Promise<ServiceStatus | undefined>;
  retire(key: ServiceKey, slot: string): Promise<void>;
  forget?(key: ServiceKey): Promise<void>;
  endpoint?(key: ServiceKey): string | undefined;
}

/** Retires each service of `stage` that the platform still has; returns the services it found. */
export async function removeServices(platform: EnvironmentPlatform, project: string, stage: string, services: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const service of services) {
    const key = { project, stage, service };
    const status = await platform.status(key);
    if (!status) continue;
    found.push(service);
    for (const slot of status.slots) await platform.retire(key, slot.slot);
    await platform.forget?.(key);
  }
  return found;
}
