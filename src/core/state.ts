/**
 * The state the core decides on: everything a decision may need, held by the engine in
 * memory and loaded from the store (active runs and their releases at start; other
 * releases, runs and artifact passes on demand, see `requirements`). `evolve` is the only
 * writer; it records what it changed in `dirty` so the engine writes exactly that.
 */
import type { ArtifactPass, LiveEntry, Release, Run, StagePass } from './model.js';
import type { Pipeline } from './pipeline.js';

export interface ReleaseState {
  release: Release;
  /** By `stage\0sequence`: the latest outcome of this release there. */
  passes: Map<string, StagePass>;
}

export interface Dirty {
  runs: Set<string>;
  live: Set<string>;
  releases: Set<string>;
  stagePasses: StagePass[];
  artifactPasses: ArtifactPass[];
}

export interface CoreState {
  pipelines: Map<string, Pipeline>;
  runs: Map<string, Run>;
  releases: Map<string, ReleaseState>;
  /** By `project\0service\0artifact`, then by stage. Loaded on demand; absent means not loaded. */
  artifactPasses: Map<string, Map<string, ArtifactPass>>;
  /** By `project\0stage\0service`. */
  live: Map<string, LiveEntry>;
  /** Non-terminal run ids by `project\0stage`, kept by evolve so queue decisions need no scan. */
  stageIndex: Map<string, Set<string>>;
  queueSeq: number;
  dirty: Dirty;
}

export function emptyDirty(): Dirty {
  return { runs: new Set(), live: new Set(), releases: new Set(), stagePasses: [], artifactPasses: [] };
}

export function createState(): CoreState {
  return {
    pipelines: new Map(),
    runs: new Map(),
    releases: new Map(),
    artifactPasses: new Map(),
    live: new Map(),
    stageIndex: new Map(),
    queueSeq: 0,
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
}

/** Runs of one stage (any sequence) that are not terminal, in queue order. */
export function stageRuns(state: CoreState, project: string, stage: string): Run[] {
  const out: Run[] = [];
  for (const id of state.stageIndex.get(stageKey(project, stage)) ?? []) {
    const r = state.runs.get(id);
    if (r && !isTerminal(r)) out.push(r);
  }
  return out.sort((a, b) => a.queueSeq - b.queueSeq);
}

export function isTerminal(r: Run): boolean {
  return r.state === 'succeeded' || r.state === 'failed' || r.state === 'aborted';
}
