/**
 * The environment of an app: Slipway's own, without its SLIPWAY_* settings (which may hold
 * tokens), then the manifest's env, then the start's env; the port variable and
 * SLIPWAY_INSTANCE_ID win over all, since the supervisor relies on both.
 */
import { withoutServerVariables } from '../../core/index.js';
import type { InstanceSpec } from './types.js';

export function appEnvironment(spec: InstanceSpec, port: number): Record<string, string | undefined> {
  return {
    ...withoutServerVariables(process.env),
    ...spec.manifest.env,
    ...spec.env,
    [spec.manifest.portEnv]: String(port),
    SLIPWAY_INSTANCE_ID: spec.id,
  };
}
