/** The shape of a Keptn shipyard (spec.keptn.sh/0.2.x), as Keptn's own Go types define it. */
import { z } from 'zod';
import { duration, name, properties, strict } from './fields.js';

export const KEPTN_API_VERSION = /^spec\.keptn\.sh\/0\.2\.\d+$/;

const task = strict({
  name: name('task'),
  triggeredAfter: duration('a delay', true).optional(),
  properties: properties.nullish(),
});

const trigger = strict({
  event: z.string(),
  selector: strict({ match: z.record(z.string(), z.string()).nullish() }).nullish(),
});

const sequence = strict({
  name: name('sequence'),
  triggeredOn: z.array(trigger).nullish(),
  tasks: z.array(task).min(1, { error: 'a sequence needs at least one task' }),
});

export const keptnSchema = strict({
  apiVersion: z.string().regex(KEPTN_API_VERSION),
  kind: z.literal('Shipyard'),
  metadata: strict({ name: name('project', true) }),
  spec: strict({
    stages: z
      .array(strict({ name: name('stage'), sequences: z.array(sequence).nullish() }))
      .min(1, { error: 'a shipyard needs at least one stage' }),
  }),
});

export type KeptnFile = z.output<typeof keptnSchema>;
export type KeptnStage = KeptnFile['spec']['stages'][number];
export type KeptnSequence = NonNullable<KeptnStage['sequences']>[number];
export type KeptnTrigger = NonNullable<KeptnSequence['triggeredOn']>[number];
