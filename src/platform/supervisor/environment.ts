/**
 * The environment of an app: Slipway's own, without its SLIPWAY_* settings (which may hold
 * tokens), then the manifest's env, then the start's env; the port variable and
 * SLIPWAY_INSTANCE_ID win over all, since the supervisor relies on both.
 */
import type { InstanceSpec } from './types.js';

export function appEnvironment(spec: InstanceSpec, port: number): Record<string, string | undefined> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SLIPWAY_')));
  return {
    ...inherited,
    ...spec.manifest.env,
    ...spec.env,
    [spec.manifest.portEnv]: String(port),
    SLIPWAY_INSTANCE_ID: spec.id,
  };
}
