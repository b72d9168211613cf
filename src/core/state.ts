/**
 * The state the core decides on: everything a decision may need, held by the engine in
 * memory and loaded from the store (active runs and their releases at start; other
 * releases, runs and artifact passes on demand, see `requirements`). `evolve` is the only
 * writer; it records what it changed in `dirty` so the engine writes exactly that.
 */
import type { ApprovalRecord } from './approval-policy.js';
import type { ArtifactPass, LiveEntry, PromotionHold, Release, Run, ScheduleState, StagePass } from './model.js';
import type { Pipeline } from './pipeline.js';
import type { FlagState } from './flag-types.js';

export interface ReleaseState {
  release: Release;
  /** By `stage\0sequence`: the latest outcome of this release there. */
  passes: Map<string, StagePass>;
  /**
   * By stage: approvals given ahead, not yet counted by an approval task. Not a projection:
   * the engine folds them from the log when it loads the release (`foldApproval`).
   */
  ahead?: Map<string, AheadApproval[]>;
}

/** An approval given ahead: the record and the id of the event that keeps it. */
export interface AheadApproval extends ApprovalRecord {
  id: string;
}

export interface Dirty {
  runs: Set<string>;
  live: Set<string>;
  releases: Set<string>;
  stagePasses: StagePass[];
  artifactPasses: ArtifactPass[];
  /** Flag states by `project\0stage\0flag` (flags.ts flagKey). */
  flags: Set<string>;
}

export interface CoreState {
  pipelines: Map<string, Pipeline>;
  runs: Map<string, Run>;
  releases: Map<string, ReleaseState>;
  /** By `project\0service\0artifact`, then by stage. Loaded on demand; absent means not loaded. */
  artifactPasses: Map<string, Map<string, ArtifactPass>>;
  /** By `project\0stage\0service`. */
  live: Map<string, LiveEntry>;
  /** Per `project\0stage`, kept by evolve so queue decisions need no scan of the stage's runs. */
  stages: Map<string, StageIndex>;
  queueSeq: number;
  /** By `project\0stage`: stages whose automatic promotion a person's choice holds (folded from the log). */
  holds: Map<string, PromotionHold>;
  /** By `project\0stage`: armed schedules (folded from the log). */
  schedules: Map<string, ScheduleState>;
  /** By `project\0stage\0flag`: feature flag rollouts per stage (flags.ts), all loaded at start. */
  flags: Map<string, FlagState>;
  dirty: Dirty;
}

export function emptyDirty(): Dirty {
  return { runs: new Set(), live: new Set(), releases: new Set(), stagePasses: [], artifactPasses: [], flags: new Set() };
}

export function createState(): CoreState {
  return {
    pipelines: new Map(),
    runs: new Map(),
    releases: new Map(),
    artifactPasses: new Map(),
    live: new Map(),
    stages: new Map(),
    queueSeq: 0,
    holds: new Map(),
    schedules: new Map(),
    flags: new Map(),
    dirty: emptyDirty(),
  };
}

export const liveKey = (project: string, stage: string, service: string): string => `${project}\0${stage}\0${service}`;
export const passKey = (stage: string, sequence: string): string => `${stage}\0${sequence}`;
export const stageKey = (project: string, stage: string): string => `${project}\0${stage}`;
export const artifactKey = (project: string, service: string, artifact: string): string =>
  `${project}\0${service}\0${artifact}`;

/** What the engine must load into the state before deciding on an input. */
export interface Requirements {
  runs: string[];
  releases: string[];
  artifacts: { project: string; service: string; artifact: string }[];
  /**
   * Stages whose recently passed releases must be loaded: what automation would bring
   * (selection.ts) is chosen among them. Absent: none.
   */
  recent?: { project: string; stage: string }[];
}

/** What is live in one stage, per service. */
export function stageLive(state: CoreState, project: string, stage: string): LiveEntry[] {
  return [...state.live.values()].filter((l) => l.project === project && l.stage === stage);
}

export interface StageIndex {
  /** Queued run ids in queue order (a run queued again moves to the end). */
  queued: Set<string>;
  /** How many active runs (running, waiting, paused) hold each service. */
  busy: Map<string, number>;
  /** The non-terminal run of each `releaseId\0sequence`. */
  open: Map<string, string>;
}

export function stageIndex(state: CoreState, project: string, stage: string): StageIndex {
  const key = stageKey(project, stage);
  let ix = state.stages.get(key);
  if (!ix) state.stages.set(key, (ix = { queued: new Set(), busy: new Map(), open: new Map() }));
  return ix;
}

const openKey = (run: Run): string => `${run.releaseId}\0${run.sequence}`;

export function openRun(state: CoreState, project: string, stage: string, releaseId: string, sequence: string): Run | undefined {
  const id = state.stages.get(stageKey(project, stage))?.open.get(`${releaseId}\0${sequence}`);
  return id ? state.runs.get(id) : undefined;
}

const ACTIVE = new Set(['running', 'waiting', 'paused']);

/** Records a non-terminal run in its stage's index (a run queued, or loaded from the store). */
export function indexRun(state: CoreState, run: Run): void {
  if (isTerminal(run)) return;
  const ix = stageIndex(state, run.project, run.stage);
  ix.open.set(openKey(run), run.id);
  if (run.state === 'queued') {
    ix.queued.delete(run.id);
    ix.queued.add(run.id);
  } else if (ACTIVE.has(run.state)) {
    for (const s of run.services) ix.busy.set(s, (ix.busy.get(s) ?? 0) + 1);
  }
}

/** A queued run starts: it leaves the queue and holds its services. */
export function indexStarted(state: CoreState, run: Run): void {
  const ix = stageIndex(state, run.project, run.stage);
  ix.queued.delete(run.id);
  for (const s of run.services) ix.busy.set(s, (ix.busy.get(s) ?? 0) + 1);
}

/** A run ends, coming from `from`: it frees its services or leaves the queue. */
export function indexFinished(state: CoreState, run: Run, from: Run['state']): void {
  const ix = stageIndex(state, run.project, run.stage);
  ix.queued.delete(run.id);
  if (ix.open.get(openKey(run)) === run.id) ix.open.delete(openKey(run));
  if (!ACTIVE.has(from)) return;
  for (const s of run.services) {
    const n = (ix.busy.get(s) ?? 1) - 1;
    if (n <= 0) ix.busy.delete(s);
    else ix.busy.set(s, n);
  }
}

export function isTerminal(r: Run): boolean {
  return r.state === 'succeeded' || r.state === 'failed' || r.state === 'aborted';
}
