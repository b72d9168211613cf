/**
 * The DORA figures over classified production deployments (outcomes.ts), each with the
 * number of deployments it rests on. Pure: tested without I/O.
 */
import type { Outcome } from './outcomes.js';
import { median } from './stats.js';

export interface Rate {
  /** 0..1; null when there was no deployment. */
  rate: number | null;
  count: number;
  deployments: number;
}

export interface Duration {
  /** Median in ms; null when nothing to take it over. */
  medianMs: number | null;
  /** How many values the median is taken over. */
  deployments: number;
}

export interface Recovery extends Duration {
  /** Failure episodes (a run of failures until the next good deployment) in the window. */
  failures: number;
  /** Episodes still open at the end of the window. */
  unrecovered: number;
}

const rate = (count: number, deployments: number): Rate => ({ rate: deployments === 0 ? null : count / deployments, count, deployments });

/** Deployments that failed, were rolled back, or were followed by a fix ÷ all. */
export const changeFailRate = (o: readonly Outcome[]): Rate => rate(o.filter((d) => d.failed).length, o.length);

/** Deployments that were rollbacks or fixes of a failed one ÷ all. */
export const reworkRate = (o: readonly Outcome[]): Rate => rate(o.filter((d) => d.kind !== 'change').length, o.length);

/**
 * From a failed deployment to the next good one live (a rollback's or a fix's success), the
 * median over failure episodes: failures one after another before anything good count once,
 * from the first.
 */
export function recoveryTime(o: readonly Outcome[]): Recovery {
  const times: number[] = [];
  let open: number | undefined;
  let failures = 0;
  for (const d of o) {
    if (d.failed) {
      if (open === undefined) {
        open = d.finishedAt;
        failures++;
      }
    } else if (d.succeeded && open !== undefined) {
      times.push(d.finishedAt - open);
      open = undefined;
    }
  }
  return { medianMs: median(times) ?? null, deployments: times.length, failures, unrecovered: open === undefined ? 0 : 1 };
}

/** One release's first arrival in a stage, with its commit times. */
export interface Arrival {
  stage: string;
  releaseId: string;
  at: number;
  commitTime?: number;
  firstCommitTime?: number;
}

/** Median of arrival − commit, ignoring arrivals without a commit time and non-positive values (clock skew, backdated commits). */
export function leadTime(arrivals: readonly Arrival[], commit: 'commitTime' | 'firstCommitTime' = 'commitTime'): Duration & { ignored: number } {
  const values: number[] = [];
  for (const a of arrivals) {
    const c = a[commit];
    if (c !== undefined && a.at - c > 0) values.push(a.at - c);
  }
  return { medianMs: median(values) ?? null, deployments: values.length, ignored: arrivals.length - values.length };
}

/** Commit → each stage, in the order of `stages`. */
export function cycleTimes(arrivals: readonly Arrival[], stages: readonly string[]): (Duration & { stage: string; ignored: number })[] {
  const by = new Map<string, Arrival[]>(stages.map((s) => [s, []]));
  for (const a of arrivals) by.get(a.stage)?.push(a);
  return stages.map((stage) => ({ stage, ...leadTime(by.get(stage) ?? []) }));
}
