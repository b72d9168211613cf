/** The JSON Schema of slipway.yaml, generated from the zod schema that validates it. */
import { z } from 'zod';
import { withCheckKinds } from './check-kinds-schema.js';
import { slipwaySchema } from './slipway-schema.js';

export function pipelineJsonSchema(): Record<string, unknown> {
  // Input side: fields with defaults are optional to the author.
  // The check kinds' properties are described for editors; their executors check them at load.
  return withCheckKinds(z.toJSONSchema(slipwaySchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>);
}
