/**
 * The outcome of a release, per stage it entered: the `--json` shape of `slipway run`, and
 * the one sentence `slipway run`, `trigger --wait` and `watch` end with. The sentence
 * names the stage that failed and why, the stages passed, and the stages never reached.
 */
import type { Store } from '../store/index.js';

export interface RunSummary {
  release: { id: string; artifacts: Record<string, string> };
  stages: Record<string, { result: 'pass' | 'warning' | 'fail' | 'none'; state: string; run: string; tasks: { name: string; result: string }[] }>;
}

export async function summarize(store: Store, releaseId: string): Promise<RunSummary> {
  const release = await store.getRelease(releaseId);
  const runs = await store.listRuns({ releaseId, limit: 1000 });
  const stages: RunSummary['stages'] = {};
  for (const run of latestPerStage(runs).values()) {
    stages[run.stage] = {
      result: run.result ?? 'none',
      state: run.state,
      run: run.id,
      tasks: run.tasks.map((t) => ({ name: t.name, result: t.result ?? 'none' })),
    };
  }
  return { release: { id: releaseId, artifacts: { ...(release?.artifacts ?? {}) } }, stages };
}

/** What the outcome sentence needs of a run (a core Run or the API's). */
export interface RunLike {
  id: string;
  stage: string;
  state: string;
  result?: string | undefined;
  reason?: string | undefined;
  queueSeq: number;
  tasks: readonly { name: string; state?: string; result?: string | undefined; message?: string | undefined }[];
  sequence?: string | undefined;
  cause?: string | null | undefined;
  /** The result of the run that queued this one (`fail`: this run reacts to a failure). */
  carriedResult?: string | null | undefined;
  /** A failed run whose stage Slipway put back to this earlier release. */
  rolledBackTo?: string | null | undefined;
  /** Why the run did not trigger its own sequence again (the remediation loop's limit). */
  loopStopped?: string | null | undefined;
}

/**
 * A run that answers a failure: a rollback, or a sequence fired by a failed one (Keptn's
 * `rollback` or `remediation` on `delivery` failed). Its success does not make the release pass.
 */
export const isReaction = (r: RunLike): boolean => r.cause === 'rollback' || r.carriedResult === 'fail';

/**
 * The run that stands for each stage, in queue order: the latest one that is not a reaction
 * to a failure (a retry or a rerun replaces the earlier one); the latest reaction only in a
 * stage where nothing else ran.
 */
export function latestPerStage<R extends RunLike>(runs: readonly R[]): Map<string, R> {
  const latest = new Map<string, R>();
  for (const run of [...runs].sort((a, b) => a.queueSeq - b.queueSeq)) {
    const held = latest.get(run.stage);
    if (held && isReaction(run) && !isReaction(held)) continue;
    latest.set(run.stage, run);
  }
  return latest;
}

/** The last reaction to a failure queued in `stage` after `after` (a rollback, a remediation). */
function reactionAfter(runs: readonly RunLike[], after: RunLike): RunLike | undefined {
  return [...runs].filter((r) => r.stage === after.stage && r.queueSeq > after.queueSeq && isReaction(r)).sort((a, b) => b.queueSeq - a.queueSeq)[0];
}

const isRollback = (r: RunLike): boolean => r.cause === 'rollback' || r.sequence === 'rollback' || r.tasks.some((t) => t.name === 'rollback');

/** What followed a failure in its stage: `, rolled back`, `, rollback failed (…)`. */
function aftermath(runs: readonly RunLike[], failed: RunLike): string {
  if (failed.rolledBackTo) return `, rolled back to release ${failed.rolledBackTo}`;
  const r = reactionAfter(runs, failed);
  if (!r) return '';
  const what = isRollback(r) ? 'rolled back' : `${r.sequence ?? 'a reaction'} ran`;
  if (passed(r)) return `, ${what}`;
  if (r.state === 'failed' || r.result === 'fail') return `, ${isRollback(r) ? 'rollback' : (r.sequence ?? 'its reaction')} failed too (${why(r)})`;
  return `, ${isRollback(r) ? 'rollback' : (r.sequence ?? 'its reaction')} ${r.state}`;
}

export const passed = (r: RunLike): boolean => r.state === 'succeeded' && (r.result === 'pass' || r.result === 'warning');

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0]!.trim();

/** Why a run did not pass, in a few words: its failed task and that task's message, or its reason. */
function why(r: RunLike): string {
  const task = r.tasks.find((t) => t.result === 'fail');
  if (task) return firstLine(task.message) ? `${task.name}: ${firstLine(task.message)}` : task.name;
  return firstLine(r.reason) || r.result || r.state;
}

export interface Outcome {
  ok: boolean;
  /** `passed: dev, staging`, or `failed in production (deploy: …); passed: dev, staging; not reached: …`. */
  text: string;
}

/**
 * Describes a release from its runs (any order, reruns included) and its pipeline's stages
 * in order. A stage after the first one the release entered, with no run of it, was never
 * reached; it is named only when the release did not pass.
 */
export function describeOutcome(runs: readonly RunLike[], stageOrder: readonly string[]): Outcome {
  const latest = latestPerStage(runs);
  const inOrder = [...latest.values()].sort((a, b) => rank(stageOrder, a.stage) - rank(stageOrder, b.stage));
  const counts = (r: RunLike) => passed(r) && !isReaction(r);
  const ok = inOrder.length > 0 && inOrder.every(counts);
  const passedList = inOrder.filter(counts).map((r) => (r.result === 'warning' ? `${r.stage} (warning)` : r.stage));
  if (ok) return { ok, text: `passed: ${passedList.join(', ')}` };
  const parts: string[] = [];
  for (const r of inOrder.filter((x) => !counts(x))) {
    if (isReaction(r)) parts.push(`${isRollback(r) ? 'rollback' : (r.sequence ?? 'a reaction to a failure')} ${passed(r) ? 'passed' : r.state} in ${r.stage}`);
    else if (r.state === 'failed' || (r.state === 'succeeded' && r.result === 'fail')) parts.push(`failed in ${r.stage} (${why(r)})${aftermath(runs, r)}`);
    else if (r.state === 'aborted') parts.push(`aborted in ${r.stage} (${firstLine(r.reason) || 'no reason given'})`);
    else parts.push(`${r.state} in ${r.stage}`);
  }
  for (const r of runs) if (r.loopStopped) parts.push(`stopped: ${r.loopStopped}`);
  if (passedList.length > 0) parts.push(`passed: ${passedList.join(', ')}`);
  const first = Math.min(...inOrder.map((r) => rank(stageOrder, r.stage)));
  const notReached = stageOrder.filter((s, i) => i > first && !latest.has(s));
  if (notReached.length > 0) parts.push(`not reached: ${notReached.join(', ')}`);
  return { ok, text: parts.join('; ') };
}

function rank(order: readonly string[], stage: string): number {
  const i = order.indexOf(stage);
  return i === -1 ? order.length : i;
}
