/**
 * The query side: reads a project's runs and reverts for a window from the store and hands
 * them to the pure figures. "Production" is the stage asked for, by default the pipeline's
 * last stage. The window is [from, to) in UTC ms, by default the 90 days up to now (the
 * Four Keys dashboard's span).
 */
import type { Pipeline, ReleaseAlarmData, RollbackData } from '../core/index.js';
import { SlipwayError, eventTypes } from '../core/index.js';
import type { DeploymentRow, Store } from '../store/index.js';
import { changeFailRate, cycleTimes, leadTime, recoveryTime, reworkRate, type Arrival, type Duration, type Rate, type Recovery } from './dora.js';
import { cachedByLogPosition } from './cache.js';
import { deploymentFrequency, type DeploymentFrequency } from './frequency.js';
import { outcomes, type Deployment, type Revert } from './outcomes.js';
import { DAY_MS } from './stats.js';

export const DEFAULT_WINDOW_DAYS = 90;
/** A longer window is refused: the figures would read the whole history for a number nobody reads that way. */
export const MAX_WINDOW_DAYS = 3660;

export interface DoraQuery {
  project: string;
  stage?: string;
  /** UTC ms. */
  from?: number;
  to?: number;
}

export interface DoraFigures {
  project: string;
  stage: string;
  from: number;
  to: number;
  deploymentFrequency: DeploymentFrequency;
  changeLeadTime: Duration & { ignored: number; fromFirstCommit: Duration & { ignored: number } };
  changeFailRate: Rate;
  failedDeploymentRecoveryTime: Recovery;
  deploymentReworkRate: Rate;
  cycleTime: (Duration & { stage: string; ignored: number })[];
}

export function windowOf(q: Pick<DoraQuery, 'from' | 'to'>, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - DEFAULT_WINDOW_DAYS * DAY_MS;
  if (!(from < to)) throw new SlipwayError('INVALID_INPUT', `the window starts at ${new Date(from).toISOString()}, not before its end ${new Date(to).toISOString()}; give a 'from' before 'to'`, { field: 'from' });
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
    throw new SlipwayError('INVALID_INPUT', `the window spans ${Math.round((to - from) / DAY_MS)} days, more than the ${MAX_WINDOW_DAYS} accepted; narrow 'from'..'to'`, { field: 'from' });
  }
  return { from, to };
}

export function productionStage(p: Pipeline, stage: string | undefined): string {
  if (stage === undefined) return p.stages.at(-1)!.name;
  if (!p.stages.some((s) => s.name === stage)) {
    throw new SlipwayError('UNKNOWN_STAGE', `stage '${stage}' is not defined in project '${p.name}'; defined stages: ${p.stages.map((s) => s.name).join(', ')}`, { field: 'stage' });
  }
  return stage;
}

const deployment = (r: DeploymentRow): Deployment => ({ runId: r.runId, releaseId: r.releaseId, finishedAt: r.finishedAt, succeeded: r.state === 'succeeded', rollback: r.rollback, carriedFail: r.carriedFail });

async function reverts(store: Store, project: string, stage: string, from: number, to: number): Promise<Revert[]> {
  const events = await store.events({ project, types: [eventTypes.releaseRollback, eventTypes.releaseAlarm], sinceMs: from });
  const out: Revert[] = [];
  for (const { event } of events) {
    const at = Date.parse(event.time);
    if (at >= to) continue;
    if (event.type === eventTypes.releaseAlarm) {
      const d = event.data as unknown as ReleaseAlarmData;
      if (d.stage === stage) out.push({ at, runId: d.runId, releases: [d.releaseId] });
    } else {
      const d = event.data as unknown as RollbackData;
      if (d.stage === stage) out.push({ at, ...(d.runId !== undefined ? { runId: d.runId } : {}), releases: Object.values(d.from ?? {}) });
    }
  }
  return out;
}

export async function computeDora(store: Store, pipeline: Pipeline, q: DoraQuery, now: number): Promise<DoraFigures> {
  const stage = productionStage(pipeline, q.stage);
  const { from, to } = windowOf(q, now);
  // The pipeline's version is in the key: its stages decide the cycle-time rows.
  const key = JSON.stringify([pipeline.name, pipeline.version, stage, from, to]);
  return cachedByLogPosition(store, key, () => figures(store, pipeline, stage, from, to));
}

async function figures(store: Store, pipeline: Pipeline, stage: string, from: number, to: number): Promise<DoraFigures> {
  const project = pipeline.name;
  const [rows, before, revs, firsts] = await Promise.all([
    store.deployments({ project, stage, fromMs: from, toMs: to }),
    store.deployments({ project, stage, fromMs: 0, toMs: from, newestFirst: true, limit: 20 }),
    reverts(store, project, stage, from, to),
    store.arrivals(project, from, to),
  ]);
  const previous = before.find((r) => !r.rollback);
  const classified = outcomes(rows.map(deployment), revs, previous?.state === 'failed');
  const arrivals: Arrival[] = firsts;
  const inProduction = arrivals.filter((a) => a.stage === stage);
  return {
    project,
    stage,
    from,
    to,
    deploymentFrequency: deploymentFrequency(
      classified.filter((d) => d.succeeded).map((d) => d.finishedAt),
      from,
      to,
    ),
    changeLeadTime: { ...leadTime(inProduction), fromFirstCommit: leadTime(inProduction, 'firstCommitTime') },
    changeFailRate: changeFailRate(classified),
    failedDeploymentRecoveryTime: recoveryTime(classified),
    deploymentReworkRate: reworkRate(classified),
    cycleTime: cycleTimes(arrivals, pipeline.stages.map((s) => s.name)),
  };
}
