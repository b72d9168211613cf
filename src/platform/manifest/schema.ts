/**
 * The manifest of a deployable (`slipway-app.yaml`): how to start the app, where it gets
 * its port, how to tell it is healthy and how long to let it drain. Everything but `start`
 * has a default, so the smallest manifest is one line.
 */
import { z } from 'zod';

export const MANIFEST_FILE = 'slipway-app.yaml';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ms = (min: number) => z.number().int().min(min);

const HealthSchema = z.strictObject({
  path: z.string().startsWith('/', { error: 'must be a URL path starting with /, e.g. /healthz' }).default('/healthz'),
  intervalMs: ms(10).default(500),
  timeoutMs: ms(1).default(1000),
  healthyThreshold: ms(1).default(2),
  unhealthyThreshold: ms(1).default(3),
});

export const ManifestSchema = z.strictObject({
  start: z
    .string({ error: 'missing; it is the command that starts the app (run with sh -c in the app directory)' })
    .trim()
    .min(1, { error: 'must not be empty; it is the command that starts the app' }),
  portEnv: z.string().regex(ENV_NAME, { error: 'must be an environment variable name such as PORT' }).default('PORT'),
  health: HealthSchema.prefault({}),
  drainMs: ms(0).default(2000),
  /** How long a new process may take to pass its first health checks. */
  startTimeoutMs: ms(1).default(30_000),
  env: z
    .record(
      z.string().regex(ENV_NAME, { error: 'environment variable names are letters, digits and _' }),
      z.union([z.string(), z.number(), z.boolean()]).transform(String),
    )
    .default({}),
});

export type AppManifest = z.output<typeof ManifestSchema>;
export type HealthCheck = AppManifest['health'];
