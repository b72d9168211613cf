/**
 * The shape of slipway.yaml. The same definitions validate files and generate the JSON
 * Schema editors use, so the two cannot drift apart.
 */
import { z } from 'zod';
import { duration, name, properties, result, strict } from './fields.js';
import { freezeSchema, freezeStageProblems } from './freeze-schema.js';
import { show } from './problems.js';

const results = z
  .union([result, z.array(result).min(1)], {
    error: (iss) => `expected pass, warning, fail or a list of them, got ${show(iss.input)}`,
  })
  .meta({ id: 'Results', description: 'One result (pass, warning, fail) or a list of them.' });

const resultCondition = strict({
  task: name('task').meta({ description: 'A task in an earlier step of the same stage.' }),
  result: results.optional().meta({ description: 'Run when that task ended with one of these results.' }),
  resultNot: results.optional().meta({ description: 'Run when that task ended with none of these results.' }),
})
  .refine((c) => (c.result === undefined) !== (c.resultNot === undefined), {
    error: 'needs exactly one of result or resultNot',
  })
  .meta({ oneOf: [{ required: ['result'] }, { required: ['resultNot'] }] });

const IF_FORMS = 'success, failure, always, {task: NAME, result: R} or {task: NAME, resultNot: R}';

const condition = z
  .union(
    [
      z.enum(['success', 'failure', 'always'], {
        error: (iss) => `${show(iss.input)} is not a valid condition; valid: ${IF_FORMS}`,
      }),
      resultCondition,
    ],
    { error: (iss) => `expected ${IF_FORMS}, got ${show(iss.input)}` },
  )
  .meta({
    description:
      'When the task runs: success (no earlier task failed), failure (one did), always, or on the result of an earlier task.',
  });

export const taskSchema = strict({
  name: name('task').meta({ description: 'Unique within the stage.' }),
  kind: name('task kind').meta({ description: 'A kind Slipway runs (shell, webhook, approval, wait, noop, deploy, release, restart) or one listed in spec.outsideKinds.' }),
  properties: properties.default({}).meta({ description: "The task kind's settings." }),
  timeout: duration('a timeout', false).optional().meta({ description: "How long the task may take, 1s to 365d; absent: the executor's default." }),
  retries: z.int().min(0).max(100).default(0).meta({ description: 'Extra attempts after a failed one.' }),
  triggeredAfter: duration('a delay', true).optional().meta({ description: 'Wait this long before starting the task (Keptn name): 0 or 1s to 365d.' }),
  delay: duration('a delay', true).optional().meta({ description: 'Wait this long before starting the task: 0 or 1s to 365d.' }),
  continueOnFailure: z.boolean().default(false).meta({ description: 'A failure of this task does not fail the run.' }),
  if: condition.default('success'),
}).meta({ id: 'Task', description: 'One task: what runs, and when.' });

const parallelSchema = strict({
  parallel: z.array(taskSchema).min(1).meta({ description: 'Tasks that start together; the next step waits for all.' }),
});

const stepSchema = z.union([taskSchema, parallelSchema], {
  error: (iss) => `expected a task {name, kind, ...} or a group {parallel: [tasks]}, got ${show(iss.input)}`,
});

export const stageSchema = strict({
  name: name('stage').meta({ description: 'Unique within the pipeline.' }),
  after: z
    .array(name('stage'))
    .optional()
    .meta({ description: 'Stages a release must pass first. Default: the stage above; [] for none.' }),
  promotion: z.enum(['auto', 'manual']).default('auto').meta({ description: 'auto: enter when upstream passed; manual: on request.' }),
  queue: z.enum(['fifo', 'supersede']).default('fifo').meta({ description: 'supersede: the newest waiting release wins.' }),
  requireUpstream: z.boolean().default(true).meta({ description: 'Only releases that passed the stages in after may enter.' }),
  tasks: z.array(stepSchema).min(1, { error: 'a stage needs at least one task' }).meta({ description: 'Run in order.' }),
}).meta({ id: 'Stage', description: 'A place a release can be, with the tasks that take it there.' });

export const slipwaySchema = strict({
  apiVersion: z.literal('slipway/v1'),
  kind: z.literal('Pipeline'),
  metadata: strict({ name: name('project', true).meta({ description: 'The project: one pipeline per project.' }) }),
  spec: strict({
    services: z
      .array(name('service', true))
      .optional()
      .meta({ description: 'Services releases may contain; absent or empty: any.' }),
    outsideKinds: z
      .array(name('task kind'))
      .optional()
      .meta({ description: 'Task kinds outside executors serve (e.g. jmeter); a task of any other kind Slipway does not run itself is an error.' }),
    stages: z.array(stageSchema).min(1, { error: 'a pipeline needs at least one stage' }),
    freezes: z.array(freezeSchema).optional().meta({ description: 'Freeze windows: times when stages take no new runs (runs in flight finish).' }),
  }).check((ctx) => {
    // Stage names in freeze windows refer to the stages above: checked once both are valid.
    const stages = ctx.value.stages.map((s) => s.name);
    for (const p of freezeStageProblems(ctx.value.freezes ?? [], stages)) ctx.issues.push({ code: 'custom', message: p.message, input: ctx.value, path: ['freezes', ...p.path] });
  }),
}).meta({ title: 'slipway.yaml', description: 'A Slipway pipeline: the stages a release passes through.' });

export type SlipwayFile = z.output<typeof slipwaySchema>;
export type SlipwayStage = SlipwayFile['spec']['stages'][number];
export type SlipwayTask = z.output<typeof taskSchema>;
export type SlipwayCondition = SlipwayTask['if'];
