/**
 * The shape of slipway.yaml. The same definitions validate files and generate the JSON
 * Schema editors use, so the two cannot drift apart.
 */
import { z } from 'zod';
import { duration, name, properties, result, strict } from './fields.js';
import { freezeSchema, freezeStageProblems } from './freeze-schema.js';
import { flagsSchema } from './flags-schema.js';
import { hasSchedule, promotionSchema } from './promotion-schema.js';
import { notificationProblems, notificationSchema } from './notifications-schema.js';
import { show } from './problems.js';
import { repositoryWatchSchema, triggerSchema, triggerServiceProblems } from './triggers-schema.js';
import { trafficSchema } from './traffic-schema.js';

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
  kind: name('task kind').meta({ description: 'A kind Slipway runs (shell, webhook, approval, wait, gate, evaluation, alarm-check, git-tag, noop, deploy, release, restart) or one listed in spec.outsideKinds.' }),
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
  watch: repositoryWatchSchema.optional(),
  tagPerService: z.boolean().default(false).meta({ description: "A monorepo: one tag per service of the release, '<tagPrefix><stage>/<service>', instead of one per stage." }),
  token: secretReference.optional().meta({ description: "An https token git pushes tags with, as '${secret:NAME}'; absent: the server's own git credentials." }),
  username: z.string().min(1).optional().meta({ description: 'The user name sent with token (default x-access-token, which GitHub and GitLab accept).' }),
  sshKey: z.string().min(1).optional().meta({ description: 'Path of a private SSH key git pushes tags with (or a ${secret:NAME} holding the path).' }),
}).meta({ id: 'Repository', description: "The project's git repository: environment tags, the git watcher, pull requests." });

export const pullRequestsSchema = strict({
  template: name('stage').meta({ description: "The stage each pull request's environment pr-<n> copies (its tasks, deploy target and strategy)." }),
  ttl: duration('a time to live', false).default('24h').meta({ description: 'An environment nobody deployed to for this long is torn down (default 24h); each deploy renews it.' }),
  forge: strict({
    kind: z.enum(['github', 'gitlab']).meta({ description: 'Which API: GitHub commit statuses, GitLab commit statuses.' }),
    api: httpUrl.meta({ description: 'API base URL: https://api.github.com, https://gitlab.com/api/v4, or your own server.' }),
    repository: z.string().min(1).meta({ description: 'owner/name on GitHub; the project id or url-encoded path on GitLab.' }),
    token: secretReference.optional().meta({ description: "A token allowed to set commit statuses, as '${secret:NAME}'; absent: nothing is reported to the forge." }),
  })
    .optional()
    .meta({ description: "Where each environment's URL is reported as a commit status on the pull request's head commit." }),
}).meta({ id: 'PullRequests', description: 'Per-pull-request environments: pr-<n>, made from a template stage, torn down on close or after ttl idle.' });

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
  traffic: trafficSchema.optional(),
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
    triggers: z.array(triggerSchema).optional().meta({ description: 'Rules turning webhook and git watcher events into releases (docs/triggers.md); absent: every tag, by the default mapping backend/v1.2.3 → backend:1.2.3.' }),
    keptn: strict({ events: z.boolean().meta({ description: "Serve this project to Keptn's tools: the Keptn executor API, push subscriptions with dialect keptn, the event stream with dialect=keptn and the datastore route (docs/keptn.md)." }) }).optional().meta({ description: "Keptn's protocol for this project (always on for a Keptn shipyard)." }),
    pullRequests: pullRequestsSchema.optional(),
    stages: z.array(stageSchema).min(1, { error: 'a pipeline needs at least one stage' }),
    freezes: z.array(freezeSchema).optional().meta({ description: 'Freeze windows: times when stages take no new runs (runs in flight finish).' }),
    notifications: z.array(notificationSchema).optional().meta({ description: 'Notification sinks: Slack or signed webhooks, each with the topics it hears about (docs/notifications.md).' }),
    flags: flagsSchema,
  }).check((ctx) => {
    // Stage names in freeze windows refer to the stages above: checked once both are valid.
    const stages = ctx.value.stages.map((s) => s.name);
    for (const p of freezeStageProblems(ctx.value.freezes ?? [], stages)) ctx.issues.push({ code: 'custom', message: p.message, input: ctx.value, path: ['freezes', ...p.path] });
    for (const p of triggerServiceProblems(ctx.value.triggers ?? [], ctx.value.services)) ctx.issues.push({ code: 'custom', message: p.message, input: ctx.value, path: ['triggers', ...p.path] });
    for (const p of notificationProblems(ctx.value.notifications ?? [], stages)) ctx.issues.push({ code: 'custom', message: p.message, input: ctx.value, path: ['notifications', ...p.path] });
    ctx.value.stages.forEach((s, i) => {
      const follows = s.after ?? (i > 0 ? [ctx.value.stages[i - 1]!.name] : []);
      if (hasSchedule(s.promotion) && follows.length === 0) ctx.issues.push({ code: 'custom', message: `a scheduled stage takes the release that passed the stages it follows, and '${s.name}' follows none; set after: [STAGE] or schedule a later stage`, input: s.promotion, path: ['stages', i, 'promotion', 'schedule'] });
      if (s.gitTag && ctx.value.repository === undefined) ctx.issues.push({ code: 'custom', message: 'gitTag needs spec.repository ({url, tagPrefix}) to know where to move the tag', input: s.gitTag, path: ['stages', i, 'gitTag'] });
      if (s.gitTag && s.tasks.some((t) => 'name' in t && t.name === 'git-tag')) ctx.issues.push({ code: 'custom', message: `task name 'git-tag' is taken by the task gitTag adds to stage '${s.name}'; rename the task`, input: s.gitTag, path: ['stages', i, 'gitTag'] });
      if (ctx.value.pullRequests && /^pr-[0-9]+$/.test(s.name)) ctx.issues.push({ code: 'custom', message: `stage name '${s.name}' is kept for pull-request environments (pr-<number>); rename the stage`, input: s.name, path: ['stages', i, 'name'] });
    });
    const template = ctx.value.pullRequests?.template;
    if (template !== undefined && !stages.includes(template)) ctx.issues.push({ code: 'custom', message: `pullRequests.template names stage '${template}', which is not defined; defined stages: ${stages.join(', ')}`, input: template, path: ['pullRequests', 'template'] });
  }),
}).meta({ title: 'slipway.yaml', description: 'A Slipway pipeline: the stages a release passes through.' });

export type SlipwayFile = z.output<typeof slipwaySchema>;
export type SlipwayStage = SlipwayFile['spec']['stages'][number];
export type SlipwayTask = z.output<typeof taskSchema>;
export type SlipwayCondition = SlipwayTask['if'];
export type SlipwayAlarm = z.output<typeof alarmSchema>;
