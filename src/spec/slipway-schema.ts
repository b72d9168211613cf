/**
 * The shape of slipway.yaml. The same definitions validate files and generate the JSON
 * Schema editors use, so the two cannot drift apart.
 */
import { z } from 'zod';
import { duration, name, properties, result, strict } from './fields.js';
import { freezeSchema, freezeStageProblems } from './freeze-schema.js';
import { hasSchedule, promotionSchema } from './promotion-schema.js';
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
  kind: name('task kind').meta({ description: 'A kind Slipway runs (shell, webhook, approval, wait, gate, evaluation, alarm-check, noop, deploy, release, restart) or one listed in spec.outsideKinds.' }),
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

const httpUrl = z
  .string({ error: (iss) => `expected an http(s) URL, got ${show(iss.input)}` })
  .refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), { error: (iss) => `expected an http(s) URL such as http://127.0.0.1:9090, got ${show(iss.input)}` });

export const alarmSchema = strict({
  name: name('alarm').meta({ description: 'Unique within the stage; named in messages and events.' }),
  prometheus: httpUrl.optional().meta({ description: 'A Prometheus server: firing alerts from /api/v1/alerts.' }),
  alertmanager: httpUrl.optional().meta({ description: 'An Alertmanager: active alerts (not silenced or inhibited) from /api/v2/alerts.' }),
  labels: z.record(z.string(), z.string()).default({}).meta({ description: 'Labels a firing alert must have (exact values); empty: any firing alert.' }),
  interval: duration('an interval', false).optional().meta({ description: 'How often it is polled (default 15s).' }),
})
  .refine((a) => (a.prometheus === undefined) !== (a.alertmanager === undefined), { error: 'needs exactly one of prometheus or alertmanager (a URL)' })
  .meta({ id: 'Alarm', description: 'An alarm signal: alerts firing in Prometheus or Alertmanager that match labels.', oneOf: [{ required: ['prometheus'] }, { required: ['alertmanager'] }] });

/** A gate's properties are checked by the gate executor when the pipeline loads (as any task's). */
const gateSchema = properties.meta({
  id: 'Gate',
  description: "A release gate's properties: delay, interval, steady, timeout and signals (http, prometheus, alarm, businessHours, stage); see docs/checks.md.",
});

const gatesSchema = strict({
  entry: gateSchema.optional().meta({ description: "A gate before the stage's tasks: the task entry-gate, first in the sequence." }),
  exit: gateSchema.optional().meta({ description: "A gate after the stage's tasks: the task exit-gate, last in the sequence." }),
}).meta({ description: "Release gates around the stage's tasks: signals that must pass, in the same sample, for a steady period." });

const secretReference = z
  .string({ error: (iss) => `expected a secret reference such as '\${secret:SHOP_HOOK}', got ${show(iss.input)}` })
  .regex(/^\$\{secret:[A-Za-z_][A-Za-z0-9_]*\}$/, { error: (iss) => `${show(iss.input)} is not a secret reference; write '\${secret:NAME}' and set it with \`slipway secret set NAME\` (docs/secrets.md)` });

export const repositorySchema = strict({
  url: z.string().min(1, { error: 'expected a git URL or a path' }).meta({ description: "The project's git repository: a URL git understands or a local path." }),
  tagPrefix: z.string().default('env/').meta({ description: "Prefix of the tag moved after a stage succeeds (gitTag): '<tagPrefix><stage>'. Default env/." }),
}).meta({ id: 'Repository', description: "The project's git repository: environment tags, the git watcher, pull requests." });

export const webhookSchema = strict({
  secret: secretReference.meta({ description: "The secret every webhook of this project is signed with, as '${secret:NAME}'." }),
}).meta({ id: 'Webhook', description: "How this project's webhooks are verified." });

export const stageSchema = strict({
  name: name('stage').meta({ description: 'Unique within the pipeline.' }),
  after: z
    .array(name('stage'))
    .optional()
    .meta({ description: 'Stages a release must pass first. Default: the stage above; [] for none.' }),
  promotion: promotionSchema,
  queue: z.enum(['fifo', 'supersede']).default('fifo').meta({ description: 'supersede: the newest waiting release wins.' }),
  requireUpstream: z.boolean().default(true).meta({ description: 'Only releases that passed the stages in after may enter.' }),
  tasks: z.array(stepSchema).min(1, { error: 'a stage needs at least one task' }).meta({ description: 'Run in order.' }),
  gates: gatesSchema.optional(),
  alarms: z.array(alarmSchema).optional().meta({ description: "The stage's alarms: watched while it soaks (wait tasks), during watch, and by stages that requireNoAlarms here." }),
  watch: strict({
    for: duration('a watch window', false).meta({ description: 'How long after a run succeeded the alarms are still watched.' }),
    interval: duration('an interval', false).optional().meta({ description: "How often they are polled (default: the alarms' own, else 15s)." }),
  })
    .optional()
    .meta({ description: 'Watch after success: an alarm firing in the window rolls the stage back and stops the release there.' }),
  gitTag: z.boolean().default(false).meta({ description: "After a run succeeds, move the tag '<repository.tagPrefix><stage>' to the release's commit and push it." }),
  requireNoAlarms: strict({
    stage: name('stage').meta({ description: 'An earlier stage whose alarms must not be firing.' }),
    timeout: duration('a timeout', false).default('30m').meta({ description: 'How long a release waits for them to stop before its run fails (default 30m).' }),
  })
    .optional()
    .meta({ description: 'Before a release enters, no alarm of the named earlier stage may be firing; the run waits, then fails after timeout.' }),
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
    repository: repositorySchema.optional(),
    webhook: webhookSchema.optional(),
    stages: z.array(stageSchema).min(1, { error: 'a pipeline needs at least one stage' }),
    freezes: z.array(freezeSchema).optional().meta({ description: 'Freeze windows: times when stages take no new runs (runs in flight finish).' }),
  }).check((ctx) => {
    // Stage names in freeze windows refer to the stages above: checked once both are valid.
    const stages = ctx.value.stages.map((s) => s.name);
    for (const p of freezeStageProblems(ctx.value.freezes ?? [], stages)) ctx.issues.push({ code: 'custom', message: p.message, input: ctx.value, path: ['freezes', ...p.path] });
    ctx.value.stages.forEach((s, i) => {
      const follows = s.after ?? (i > 0 ? [ctx.value.stages[i - 1]!.name] : []);
      if (hasSchedule(s.promotion) && follows.length === 0) ctx.issues.push({ code: 'custom', message: `a scheduled stage takes the release that passed the stages it follows, and '${s.name}' follows none; set after: [STAGE] or schedule a later stage`, input: s.promotion, path: ['stages', i, 'promotion', 'schedule'] });
      if (s.gitTag && ctx.value.repository === undefined) ctx.issues.push({ code: 'custom', message: 'gitTag needs spec.repository ({url, tagPrefix}) to know where to move the tag', input: s.gitTag, path: ['stages', i, 'gitTag'] });
    });
  }),
}).meta({ title: 'slipway.yaml', description: 'A Slipway pipeline: the stages a release passes through.' });

export type SlipwayFile = z.output<typeof slipwaySchema>;
export type SlipwayStage = SlipwayFile['spec']['stages'][number];
export type SlipwayTask = z.output<typeof taskSchema>;
export type SlipwayCondition = SlipwayTask['if'];
export type SlipwayAlarm = z.output<typeof alarmSchema>;
