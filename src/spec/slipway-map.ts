/** A validated slipway.yaml → the core pipeline model. */
import { DELIVERY } from '../core/index.js';
import type { AlarmSpec, Pipeline, PullRequestsSpec, Result, SequenceTrigger, SourceRef, StageSpec, TaskCondition, TaskSpec } from '../core/index.js';
import { parseDuration } from './duration.js';
import { mapFreeze } from './freeze-schema.js';
import { mapFlags } from './flags-checks.js';
import { mapPromotion } from './promotion-schema.js';
import { mapNotification } from './notifications-schema.js';
import type { Path } from './problems.js';
import type { SlipwayAlarm, SlipwayCondition, SlipwayFile, SlipwayStage } from './slipway-schema.js';
import { afterOf, stepsOf } from './slipway-walk.js';
import type { PlacedTask } from './slipway-walk.js';
import { locate } from './source.js';
import { mapTrigger } from './triggers-schema.js';
import { mapTraffic } from './traffic-schema.js';
import type { Source } from './source.js';

const UPSTREAM_PASSED: readonly Result[] = ['pass', 'warning'];

export function mapSlipway(file: SlipwayFile, source: Source, version: string): Pipeline {
  const ref = (path: Path): SourceRef => ({ file: source.file, ...locate(source, path) });
  const stages = file.spec.stages.map((stage, i): StageSpec => {
    const path = ['spec', 'stages', i];
    const after = afterOf(file.spec.stages, i);
    const triggeredOn = after.map((s): SequenceTrigger => ({ stage: s, sequence: DELIVERY, results: UPSTREAM_PASSED }));
    const steps = stepsOf(stage, path).map((step) => ({ tasks: step.map((t) => withRepository(withStageAlarms(mapTask(t, ref), stage), file)) }));
    const entry = noAlarmsTask(file, stage, ref([...path, 'requireNoAlarms']));
    const tag = gitTagTask(file, stage, ref([...path, 'gitTag']));
    return {
      name: stage.name,
      after,
      ...mapPromotion(stage.promotion),
      queue: stage.queue,
      requireUpstream: stage.requireUpstream,
      sequences: [{ name: DELIVERY, triggeredOn, join: 'all', steps: [...(entry ? [{ tasks: [entry] }] : []), ...steps, ...(tag ? [{ tasks: [tag] }] : [])], source: ref([...path, 'tasks']) }],
      source: ref(path),
      ...(stage.gitTag ? { gitTag: true } : {}),
      ...alarmFields(stage),
      ...(stage.traffic ? { traffic: mapTraffic(stage.traffic) } : {}),
    };
  });
  return {
    name: file.metadata.name,
    services: file.spec.services ?? [],
    stages,
    format: file.apiVersion,
    version,
    ...(file.spec.repository ? { repository: { url: file.spec.repository.url, tagPrefix: file.spec.repository.tagPrefix, ...(file.spec.repository.watch ? { watch: { intervalMs: parseDuration(file.spec.repository.watch.interval) } } : {}) } } : {}),
    ...(file.spec.pullRequests ? { pullRequests: mapPullRequests(file.spec.pullRequests) } : {}),
    ...(file.spec.webhook ? { webhook: { secret: file.spec.webhook.secret } } : {}),
    ...(file.spec.triggers ? { triggers: file.spec.triggers.map((t, i) => mapTrigger(t, ref(['spec', 'triggers', i]))) } : {}),
    ...(file.spec.keptn?.events ? { keptnEvents: true } : {}),
    ...(file.spec.freezes?.length ? { freezes: file.spec.freezes.map((f, i) => mapFreeze(f, ref(['spec', 'freezes', i]))) } : {}),
    ...(file.spec.notifications?.length ? { notifications: file.spec.notifications.map((n, i) => mapNotification(n, ref(['spec', 'notifications', i]))) } : {}),
    ...(file.spec.flags && Object.keys(file.spec.flags).length > 0 ? { flags: mapFlags(file.spec.flags, ref) } : {}),
  };
}

function mapTask({ task, path }: PlacedTask, ref: (path: Path) => SourceRef): TaskSpec {
  const delay = task.delay ?? task.triggeredAfter;
  return {
    name: task.name,
    kind: task.kind,
    properties: task.properties,
    ...(task.timeout === undefined ? {} : { timeoutMs: parseDuration(task.timeout) }),
    retries: task.retries,
    delayMs: delay === undefined ? 0 : parseDuration(delay),
    if: mapCondition(task.if),
    continueOnFailure: task.continueOnFailure,
    source: ref(path),
  };
}

function mapCondition(cond: SlipwayCondition): TaskCondition {
  if (typeof cond === 'string') return { kind: cond };
  const negate = cond.resultNot !== undefined;
  const given = cond.resultNot ?? cond.result ?? [];
  const results = [...new Set(typeof given === 'string' ? [given] : given)];
  return { kind: 'result', task: cond.task, results, negate };
}

const ALARM_INTERVAL_MS = 15_000;

/** The name of the implicit first task of a stage with `requireNoAlarms` (alarm-checks.ts refuses it for a task). */
const NO_ALARMS_TASK = 'upstream-alarms';

/** An alarm as task properties carry it: as written, for the executors (wait, alarm-check) that poll it. */
function alarmProperty(a: SlipwayAlarm): Record<string, unknown> {
  return {
    name: a.name,
    ...(a.prometheus !== undefined ? { prometheus: a.prometheus } : {}),
    ...(a.alertmanager !== undefined ? { alertmanager: a.alertmanager } : {}),
    labels: a.labels,
    ...(a.interval !== undefined ? { interval: a.interval } : {}),
  };
}

function alarmFields(stage: SlipwayStage): Pick<StageSpec, 'alarms' | 'watch' | 'requireNoAlarms'> {
  const alarms: AlarmSpec[] = (stage.alarms ?? []).map((a) => ({
    name: a.name,
    source: a.prometheus !== undefined ? { url: a.prometheus, api: 'prometheus' } : { url: a.alertmanager ?? '', api: 'alertmanager' },
    labels: a.labels,
    intervalMs: a.interval === undefined ? ALARM_INTERVAL_MS : parseDuration(a.interval),
  }));
  const fastest = alarms.length > 0 ? Math.min(...alarms.map((a) => a.intervalMs)) : ALARM_INTERVAL_MS;
  return {
    ...(alarms.length > 0 ? { alarms } : {}),
    ...(stage.watch ? { watch: { forMs: parseDuration(stage.watch.for), intervalMs: stage.watch.interval === undefined ? fastest : parseDuration(stage.watch.interval) } } : {}),
    ...(stage.requireNoAlarms ? { requireNoAlarms: { stage: stage.requireNoAlarms.stage, timeoutMs: parseDuration(stage.requireNoAlarms.timeout) } } : {}),
  };
}

/** A soak in a stage with alarms watches them, unless the task lists its own (`alarms: []` for none). */
function withStageAlarms(task: TaskSpec, stage: SlipwayStage): TaskSpec {
  if (task.kind !== 'wait' || !stage.alarms?.length || task.properties.alarms !== undefined) return task;
  return { ...task, properties: { ...task.properties, alarms: stage.alarms.map(alarmProperty) } };
}

/**
 * `requireNoAlarms: {stage, timeout}` becomes an `alarm-check` task before the stage's own:
 * it waits, visibly, while an alarm of that stage fires, and fails after `timeout`. Its own
 * timeout leaves a minute more, so the check's message (which alarm) ends it, not the timer.
 */
function noAlarmsTask(file: SlipwayFile, stage: SlipwayStage, source: SourceRef): TaskSpec | undefined {
  const rule = stage.requireNoAlarms;
  const upstream = rule ? file.spec.stages.find((s) => s.name === rule.stage) : undefined;
  if (!rule || !upstream) return undefined;
  return {
    name: NO_ALARMS_TASK,
    kind: 'alarm-check',
    properties: { stage: rule.stage, alarms: (upstream.alarms ?? []).map(alarmProperty), timeout: rule.timeout },
    timeoutMs: parseDuration(rule.timeout) + 60_000,
    retries: 0,
    delayMs: 0,
    if: { kind: 'success' },
    continueOnFailure: false,
    source,
  };
}

/** The name of the implicit last task of a stage with `gitTag: true` (the schema refuses it for a task there). */
export const GIT_TAG_TASK = 'git-tag';

/** spec.repository as git-tag properties: what a git-tag task does not set itself. */
function repositoryProperties(file: SlipwayFile): Record<string, unknown> {
  const r = file.spec.repository;
  if (!r) return {};
  return {
    repository: r.url,
    tagPrefix: r.tagPrefix,
    ...(r.tagPerService ? { perService: true } : {}),
    ...(r.token !== undefined ? { token: r.token } : {}),
    ...(r.username !== undefined ? { username: r.username } : {}),
    ...(r.sshKey !== undefined ? { sshKey: r.sshKey } : {}),
  };
}

/** A git-tag task written in a sequence takes the repository, prefix and credentials of spec.repository unless it sets its own. */
function withRepository(task: TaskSpec, file: SlipwayFile): TaskSpec {
  if (task.kind !== 'git-tag' || !file.spec.repository) return task;
  return { ...task, properties: { ...repositoryProperties(file), ...task.properties } };
}

/**
 * `gitTag: true` becomes a git-tag task after every other task of the stage (after its exit
 * gate too), run only when they succeeded. Its failure does not fail the stage
 * (continueOnFailure: the run ends with a warning, the task shows why): the tag records what
 * runs where, it is not a gate, and a forge that is down must neither roll a healthy release
 * back nor stop its promotion. Two retries ride out a brief outage first.
 */
function gitTagTask(file: SlipwayFile, stage: SlipwayStage, source: SourceRef): TaskSpec | undefined {
  if (!stage.gitTag || !file.spec.repository) return undefined;
  return {
    name: GIT_TAG_TASK,
    kind: 'git-tag',
    properties: repositoryProperties(file),
    retries: 2,
    delayMs: 0,
    if: { kind: 'success' },
    continueOnFailure: true,
    source,
  };
}

function mapPullRequests(pr: NonNullable<SlipwayFile['spec']['pullRequests']>): PullRequestsSpec {
  return {
    template: pr.template,
    ttlMs: parseDuration(pr.ttl),
    ...(pr.forge ? { forge: { api: pr.forge.api, kind: pr.forge.kind, repository: pr.forge.repository, ...(pr.forge.token !== undefined ? { token: pr.forge.token } : {}) } } : {}),
  };
}
