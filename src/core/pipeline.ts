/**
 * The pipeline model every spec format (slipway.yaml, Keptn shipyard) is mapped onto.
 *
 * A stage holds one or more sequences. A slipway.yaml stage has exactly one, named
 * `delivery`, triggered when every stage in its `after:` list passed the same release.
 * A Keptn stage may have several, each chained by `triggeredOn` (any one of them fires it).
 */

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
}

/** How the project's webhooks are verified: the secret, by reference (`${secret:NAME}`), never its value. */
export interface WebhookSpec {
  secret: string;
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
  return p.stages.find((s) => s.name === name);
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
