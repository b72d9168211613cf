/**
 * slipway.yaml `spec.flags`: feature flags the pipeline rolls out (docs/flags.md). The
 * schema checks each declaration's shape; flags-checks.ts checks what refers across it.
 */
import { z } from 'zod';
import { name, strict } from './fields.js';

export const flagSchema = strict({
  variants: z
    .record(name('variant'), z.json())
    .refine((v) => Object.keys(v).length > 0, { error: 'a flag needs at least one variant, e.g. {on: true, off: false}' })
    .meta({ description: 'The values the flag can take, by variant name (a boolean, string, number or object).' }),
  default: name('variant').meta({ description: 'The variant everybody gets unless a rollout or rule in the stage says otherwise.' }),
}).meta({ id: 'Flag', description: 'A feature flag served over OpenFeature (OFREP); a flag task sets its rollout per stage.' });

export const flagsSchema = z
  .record(name('flag'), flagSchema)
  .optional()
  .meta({ description: 'Feature flags by key: evaluated at /ofrep/v1/evaluate/flags/{key}, rolled out by flag tasks (docs/flags.md).' });

export type SlipwayFlags = NonNullable<z.output<typeof flagsSchema>>;
