/**
 * The pipeline model every spec format (slipway.yaml, Keptn shipyard) is mapped onto.
 *
 * A stage holds one or more sequences. A slipway.yaml stage has exactly one, named
 * `delivery`, triggered when every stage in its `after:` list passed the same release.
 * A Keptn stage may have several, each chained by `triggeredOn` (any one of them fires it).
 */
import type { FlagSpec } from './flag-types.js';

export const Results = ['pass', 'warning', 'fail'] as const;
export type Result = (typeof Results)[number];

/** The default sequence name: the one a slipway.yaml stage runs and promotion follows. */
export const DELIVERY = 'delivery';

/**
 * When a task runs, judged on the results of the tasks before it in the same run.
 * - `success`: no earlier task failed (the default)
 * - `failure`: some earlier task failed (cleanup, rollback)
 * - `always`: in either case
 * - `{task, results}`: the named earlier task ended with one of `results`
 */
export type TaskCondition =
  | { kind: 'success' }
  | { kind: 'failure' }
  | { kind: 'always' }
  | { kind: 'result'; task: string; results: readonly Result[]; negate: boolean };

/** Where a definition came from, so errors at run time can point back at the file. */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

export interface TaskSpec {
  /** Unique within its sequence. Lower case letters, digits, `-`, `_`. */
  name: string;
  /** Built-in kind (`shell`, `wait`, `approval`, `webhook`, …) or any name an outside executor serves. */
  kind: string;
  properties: Readonly<Record<string, unknown>>;
  /** Time the task may take once triggered, in ms; absent means the executor's default. */
  timeoutMs?: number;
  /** Extra attempts after a failed one. */
  retries: number;
  /** Delay before the task is triggered (Keptn `triggeredAfter`), in ms. */
  delayMs: number;
  if: TaskCondition;
  continueOnFailure: boolean;
  source?: SourceRef;
}

/** Tasks in one step start together; the next step starts when all of them ended. */
export interface StepSpec {
  tasks: readonly TaskSpec[];
}

export interface SequenceTrigger {
  stage: string;
  sequence: string;
  /** Results of the upstream run that fire this sequence. */
  results: readonly Result[];
  /**
   * Optional result a named task of the upstream run must have had (Keptn
   * `selector.match: {evaluation.result: fail}`).
   */
  taskResults?: Readonly<Record<string, Result>>;
}

export interface SequenceSpec {
  name: string;
  triggeredOn: readonly SequenceTrigger[];
  /** `all`: every trigger must have fired for the same release (fan-in); `any`: one is enough (Keptn). */
  join: 'all' | 'any';
  steps: readonly StepSpec[];
  source?: SourceRef;
}

export interface StageSpec {
  name: string;
  /** Upstream stages (the DAG), for display and upstream checks. */
  after: readonly string[];
  /** `schedule`: a release enters at the times `schedule` names (see schedule.ts); a person may still promote. */
  promotion: 'auto' | 'manual' | 'schedule';
  /** For promotion `schedule`: when, and what a fire does (see schedule.ts). */
  schedule?: ScheduleSpec;
  /**
   * Which release automation brings (see selection.ts): `newest` passed upstream, or what
   * the upstream stage runs now. Absent: `newest` for a schedule, `matchUpstream` for auto (see selection.ts).
   */
  selection?: Selection;
  queue: 'fifo' | 'supersede';
  /** When false, a release may enter this stage with artifacts that never passed the upstream stages. */
  requireUpstream: boolean;
  sequences: readonly SequenceSpec[];
  source?: SourceRef;
  /** The stage's alarm signals: watched while it soaks, during `watch`, and by stages that require no alarms here. */
  alarms?: readonly AlarmSpec[];
  /** After a run of the stage succeeded, its alarms are still watched for a while (see alarms.ts). */
  watch?: WatchSpec;
  /** Before a release enters, no alarm of the named earlier stage may be firing (an implicit first task). */
  requireNoAlarms?: NoAlarmsRule;
  /** After a run succeeds, the tag `<repository.tagPrefix><stage>` moves to the release's commit. */
  gitTag?: boolean;
  /** Recording a sample of the stage's live requests (the local platform's routers), for load tests and traffic comparison. */
  traffic?: TrafficSpec;
}

/** A stage's `traffic.record`: what of its live requests is kept, and what is dropped or replaced first. */
export interface TrafficSpec {
  record: {
    /** Share of live requests recorded, (0, 1]. */
    sample: number;
    /** Most requests kept: the newest `max` (a ring buffer). */
    max: number;
    /** Lower-case names of the headers recorded; every other header is never kept. */
    headers: readonly string[];
    /** Lower-case header names dropped even when listed in `headers`. */
    dropHeaders: readonly string[];
    /** Cookie names dropped from a recorded Cookie header. */
    dropCookies: readonly string[];
    /** Lower-case query keys dropped. */
    dropQuery: readonly string[];
    /** Values put in place of the recorded ones (the name stays, the value is replaced). */
    replace: { headers: Readonly<Record<string, string>>; cookies: Readonly<Record<string, string>>; query: Readonly<Record<string, string>> };
  };
}

export type Selection = 'newest' | 'matchUpstream';

/** A stage's promotion schedule: a 5-field cron read on `timeZone`'s wall clock. */
export interface ScheduleSpec {
  cron: string;
  /** IANA zone. */
  timeZone: string;
  /** Skip a fire when the selected release already ran in the stage (whatever its result). */
  onlyIfNew: boolean;
  /** A fire time that passed while Slipway was down: `run-once` (one fire at start, however many were missed) or `skip`. */
  missed: 'run-once' | 'skip';
}

/** The project's git repository (slipway.yaml `spec.repository`). */
export interface RepositorySpec {
  url: string;
  tagPrefix: string;
  /** Poll the repository for new branch commits and tags (the git watcher); absent: not watched. */
  watch?: { intervalMs: number };
}

/**
 * A rule mapping a git or CI event (webhook or watcher) to a release (slipway.yaml `spec.triggers`).
 * - push: a new commit on a branch matching `branch`
 * - tag: a new tag matching `tag`
 * - workflow_run: a CI run that succeeded (GitHub workflow_run, GitLab pipeline) on `branch`, named `workflow`
 * - package: a package version published (GitHub registry_package) named `package`
 * `artifacts` are templates (`registry/web:${commit}`); empty for a tag rule: `<service>:<version>` from the tag.
 */
export interface TriggerRule {
  on: 'push' | 'tag' | 'workflow_run' | 'package';
  branch?: string;
  tag?: string;
  workflow?: string;
  package?: string;
  artifacts: Readonly<Record<string, string>>;
  source?: SourceRef;
}

/** How the project's webhooks are verified: the secret, by reference (`${secret:NAME}`), never its value. */
export interface WebhookSpec {
  secret: string;
}

/** What a notification sink may subscribe to (slipway.yaml `spec.notifications[].on`). */
export const NOTIFICATION_TOPICS = ['run.failed', 'approval.waiting', 'rollback', 'stage.reached', 'freeze.started', 'freeze.ended', 'pr.ready'] as const;
export type NotificationTopic = (typeof NOTIFICATION_TOPICS)[number];

/** One notification sink. `url` and `secret` hold `${secret:NAME}` references, resolved only when sending. */
export interface NotificationSinkSpec {
  name: string;
  kind: 'slack' | 'webhook';
  url: string;
  /** webhook: the HMAC key its deliveries are signed with. */
  secret?: string;
  on: readonly NotificationTopic[];
  /** Only notifications about these stages; absent: every stage. */
  stages?: readonly string[];
  source?: SourceRef;
}

/** One alarm signal: firing alerts matching `labels`, read from Prometheus or Alertmanager. */
export interface AlarmSpec {
  name: string;
  source: { url: string; api: 'prometheus' | 'alertmanager' };
  /** Label equalities an alert must match; empty: every firing alert. */
  labels: Readonly<Record<string, string>>;
  /** How often it is polled, in ms. */
  intervalMs: number;
}

export interface WatchSpec {
  /** How long after the run succeeded the alarms are watched, in ms. */
  forMs: number;
  /** How often they are polled, in ms. */
  intervalMs: number;
}

export interface NoAlarmsRule {
  stage: string;
  /** How long a release may wait for the upstream alarms to stop firing, in ms. */
  timeoutMs: number;
}

export interface Pipeline {
  name: string;
  /** Declared services; empty means any service name is accepted (Keptn shipyards declare none). */
  services: readonly string[];
  stages: readonly StageSpec[];
  /** `slipway/v1` or the Keptn apiVersion it was read from. */
  format: string;
  /** Content hash of the source text: the pipeline version a run records. */
  version: string;
  /** Times stages take no new runs (see freeze.ts); absent: none. */
  freezes?: readonly FreezeWindowSpec[];
  /**
   * How often a sequence may be queued again by its own chain of runs (a remediation that
   * triggers itself on a failed evaluation); absent: DEFAULT_MAX_REMEDIATION_LOOPS.
   */
  maxRemediationLoops?: number;
  repository?: RepositorySpec;
  webhook?: WebhookSpec;
  /** How webhooks and the git watcher turn events into releases; the first matching rule wins. */
  triggers?: readonly TriggerRule[];
  /** `spec.keptn.events` of slipway.yaml: Keptn's protocol serves this project (a shipyard's always does, by its format). */
  keptnEvents?: boolean;
  /** Where people hear about this project's releases (slipway.yaml `spec.notifications`); absent: nowhere. */
  notifications?: readonly NotificationSinkSpec[];
  /** Per-pull-request environments: stages `pr-<n>` made from a template (see pull-request-stage.ts). */
  pullRequests?: PullRequestsSpec;
  /** Feature flags served over OFREP, their rollout set per stage (slipway.yaml `spec.flags`, see flags.ts); absent: none. */
  flags?: Readonly<Record<string, FlagSpec>>;
}

/** slipway.yaml `spec.pullRequests`. */
export interface PullRequestsSpec {
  template: string;
  /** An environment idle this long is torn down (ms). */
  ttlMs: number;
  /** Where the environment's URL is reported (a commit status); the token by reference. */
  forge?: { kind: 'github' | 'gitlab'; api: string; repository: string; token?: string };
}

/** Keptn's own limit on a remediation that keeps triggering itself. */
export const DEFAULT_MAX_REMEDIATION_LOOPS = 3;

/** A freeze window as the pipeline declares it (times are local to `timeZone`). */
export interface FreezeWindowSpec {
  name: string;
  /** Stage names it holds; `['*']` holds every stage. */
  stages: readonly string[];
  /** `automation`: only runs automation starts; `everyone`: people's too. */
  appliesTo: 'automation' | 'everyone';
  /** IANA zone the cron and the dated times are read in. */
  timeZone: string;
  when: FreezeRecurrence | FreezeDates;
  reason?: string;
  source?: SourceRef;
}

/** Starts at each time the 5-field cron names and lasts `durationMs` on the zone's wall clock. */
export interface FreezeRecurrence {
  kind: 'recurring';
  cron: string;
  durationMs: number;
}

/** From `from` to `to`, local date-times (`2026-12-24T00:00`). */
export interface FreezeDates {
  kind: 'dated';
  from: string;
  to: string;
}

export function findStage(p: Pipeline, name: string): StageSpec | undefined {
  return p.stages.find((s) => s.name === name) ?? pullRequestStage(p, name);
}

/** `pr-<n>`: the stage of pull request n's environment. */
export const PULL_REQUEST_STAGE = /^pr-([1-9][0-9]{0,8})$/;

export function pullRequestStageName(n: number): string {
  return `pr-${n}`;
}

/**
 * A pull request's environment is a stage the pipeline does not list: `pr-<n>` is derived,
 * by name, from the template stage whenever the core looks it up, so nothing about it needs
 * recording for a restart to find it again (the runs keep their own copy of the sequence).
 * It copies the template's tasks with its own name (hence its own slots, ports and live
 * entries), follows nothing and feeds nothing (no upstream rule, no auto promotion out of
 * it, no gitTag, no upstream-alarm check, no watch), and the newest head commit wins its queue.
 */
export function pullRequestStage(p: Pipeline, name: string): StageSpec | undefined {
  const template = p.pullRequests && PULL_REQUEST_STAGE.test(name) ? p.stages.find((s) => s.name === p.pullRequests?.template) : undefined;
  if (!template) return undefined;
  const { gitTag: _tag, watch: _watch, requireNoAlarms: _rule, ...rest } = template;
  const keep = (t: TaskSpec) => t.kind !== 'git-tag' && !(t.kind === 'alarm-check' && t.name === 'upstream-alarms');
  return {
    ...rest,
    name,
    after: [],
    promotion: 'manual',
    queue: 'supersede',
    requireUpstream: false,
    sequences: template.sequences.map((seq) => ({
      ...seq,
      triggeredOn: [],
      steps: seq.steps.map((st) => ({ tasks: st.tasks.filter(keep) })).filter((st) => st.tasks.length > 0),
    })),
  };
}

export function findSequence(stage: StageSpec, name: string): SequenceSpec | undefined {
  return stage.sequences.find((s) => s.name === name);
}

/** The stages a release passes through before `stage`: every ancestor in the `after` DAG. */
export function upstreamStages(p: Pipeline, stage: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    for (const up of findStage(p, name)?.after ?? []) {
      if (!seen.has(up)) {
        seen.add(up);
        visit(up);
      }
    }
  };
  visit(stage);
  return p.stages.map((s) => s.name).filter((n) => seen.has(n));
}

/** Where a release enters when no stage is named: the first declared stage. */
export function entryStage(p: Pipeline): StageSpec | undefined {
  return p.stages[0];
}
