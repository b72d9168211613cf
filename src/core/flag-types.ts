/**
 * Feature flags as the pipeline declares them (slipway.yaml `spec.flags`) and as a stage
 * holds them: a rollout (which variant, to what share of users, with which rules) per
 * project × stage × flag. Types only, so the pipeline model and the inputs can name them
 * without importing the rules in flags.ts.
 */
import type { SourceRef } from './pipeline.js';

/** A variant's value: anything JSON can carry (OpenFeature serves booleans, strings, numbers and objects). */
export type FlagValue = boolean | string | number | null | readonly FlagValue[] | { readonly [key: string]: FlagValue };

/** slipway.yaml `spec.flags.<key>`: the variants and the one everybody gets unless a rollout says otherwise. */
export interface FlagSpec {
  variants: Readonly<Record<string, FlagValue>>;
  default: string;
  source?: SourceRef;
}

/** A targeting rule: users whose context attribute matches get `variant`, whatever the share. */
export interface FlagRule {
  attribute: string;
  op: 'equals' | 'startsWith' | 'endsWith' | 'in';
  value: string | readonly string[];
  variant: string;
}

/**
 * What a stage serves for one flag: `variant` to `percent` of users (by a stable hash of the
 * flag key and the targeting key), the default to the rest; rules first. Percent has two
 * decimals at most (the bucket space is 0..9999).
 */
export interface FlagRollout {
  variant: string;
  percent: number;
  rules?: readonly FlagRule[];
}

/**
 * A flag's state in one stage. `byRelease` records, per release, the rollout in effect
 * while that release was the stage's (what it set, or what it found when its run started),
 * so a rollback to it restores that rollout. Bounded: the oldest entries go first.
 */
export interface FlagState {
  project: string;
  stage: string;
  flag: string;
  rollout: FlagRollout;
  /** The release the stage had when the rollout was set (absent: none was there). */
  releaseId?: string;
  /** The run whose flag task set it. */
  runId?: string;
  by?: string;
  /** UTC ms of the change. */
  at: number;
  byRelease: Readonly<Record<string, FlagRollout>>;
}

/** Sets a flag's rollout in a stage: by a `flag` task (taskId names it) or by hand. */
export interface FlagSetInput {
  type: 'flag.set';
  id: string;
  by?: string;
  project: string;
  stage: string;
  flag: string;
  rollout: FlagRollout;
  /** The flag task doing it: its run's release is the one that set the rollout. */
  taskId?: string;
  reason?: string;
}

/** What `sh.slipway.flag.changed` carries. */
export interface FlagChangedData {
  stage: string;
  flag: string;
  from: FlagRollout | null;
  to: FlagRollout;
  /** task: a flag task; manual: a person; rollback: the stage went back to a release, and its flags with it. */
  cause: 'task' | 'manual' | 'rollback';
  releaseId?: string;
  runId?: string;
  taskId?: string;
  by?: string;
  reason?: string;
}
