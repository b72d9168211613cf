/**
 * Keptn's `sli.yaml`: `spec_version: '1.0'` and `indicators`, SLI name → query text (for the
 * Prometheus provider, PromQL with placeholders). Keys Keptn does not know are dropped.
 */
import { z } from 'zod';

export const sliSchema = z
  .object({
    spec_version: z.union([z.string(), z.number()], { error: "expected a version such as '1.0'" }).transform(String).optional(),
    indicators: z.record(
      z.string().min(1),
      z.string({ error: (iss) => `expected the query as text, got ${JSON.stringify(iss.input)}` }).refine((q) => q.trim() !== '', { message: 'the query is empty' }),
      { error: (iss) => (iss.input === undefined ? 'is required: a map of SLI name → query' : 'expected a map of SLI name → query') },
    ),
  })
  .transform((f) => ({ specVersion: f.spec_version ?? '1.0', indicators: f.indicators }));

export type SliFile = z.output<typeof sliSchema>;
