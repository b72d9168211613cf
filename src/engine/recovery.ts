/**
 * Rebuilding the in-memory state from the store: at start (active runs with their
 * releases, the live table, timers, the outbox to re-dispatch) and on demand before a
 * decision that needs something not in memory (see core `requirements`).
 */
import type { CoreState, ReleaseState, Requirements, Run, Timer } from '../core/index.js';
import { AUTOMATION_EVENT_TYPES, SCHEMA_EVENT_TYPES, artifactKey, createState, eventTypes, evolve, flagKey, foldAhead, indexRun, liveKey, passKey } from '../core/index.js';
import type { OutboxRow, Store } from '../store/index.js';

export interface Recovered {
  state: CoreState;
  timers: Timer[];
  outbox: OutboxRow[];
}

export async function recoverState(store: Store): Promise<Recovered> {
  const state = createState();
  // Queue order is queueSeq order: index them in it.
  const runs = (await store.activeRuns()).sort((a, b) => a.queueSeq - b.queueSeq);
  for (const run of runs) addRun(state, run);
  const live = await store.live();
  for (const entry of live) state.live.set(liveKey(entry.project, entry.stage, entry.service), entry);
  // Releases of active runs, and those live or last good somewhere (a rollback may need them).
  const wanted = [...runs.map((r) => r.releaseId), ...live.flatMap((l) => [l.releaseId, ...(l.lastGoodReleaseId ? [l.lastGoodReleaseId] : [])])];
  await loadReleases(store, state, [...new Set(wanted)]);
  state.queueSeq = await store.maxQueueSeq();
  for (const f of await store.flagStates()) state.flags.set(flagKey(f.project, f.stage, f.flag), f);
  // Schedules and promotion holds live in the log only: fold them back in, in log order.
  for (const { event } of await store.events({ types: [...AUTOMATION_EVENT_TYPES, ...SCHEMA_EVENT_TYPES] })) evolve(state, event);
  const timers = await store.dueTimers(Number.MAX_SAFE_INTEGER, 1_000_000);
  const outbox = await store.outbox();
  return { state, timers, outbox };
}

function addRun(state: CoreState, run: Run): void {
  state.runs.set(run.id, run);
  indexRun(state, run);
}

async function loadReleases(store: Store, state: CoreState, ids: string[]): Promise<void> {
  for (const id of ids) {
    if (state.releases.has(id)) continue;
    const release = await store.getRelease(id);
    if (!release) continue;
    const passes = new Map((await store.stagePasses(id)).map((p) => [passKey(p.stage, p.sequence), p]));
    const rs: ReleaseState = { release, passes };
    // Approvals given ahead live only in the log until a task counts them: fold them back in.
    const approvals = await store.events({ project: release.project, types: [eventTypes.releaseApproval], sinceMs: release.createdAt });
    for (const { event } of approvals) foldAhead(rs, event);
    state.releases.set(id, rs);
  }
}

/** Succeeded runs per upstream stage whose releases are candidates for what automation brings. */
const RECENT_PASSES = 50;

export async function loadRequirements(store: Store, state: CoreState, req: Requirements): Promise<void> {
  const releaseIds = [...req.releases];
  for (const id of req.runs) {
    if (state.runs.has(id)) continue;
    const run = await store.getRun(id);
    if (!run) continue;
    addRun(state, run);
    releaseIds.push(run.releaseId);
  }
  // What automation would bring is chosen among releases that passed upstream lately (core selection.ts).
  for (const r of req.recent ?? []) {
    const runs = await store.listRuns({ project: r.project, stage: r.stage, states: ['succeeded'], limit: RECENT_PASSES });
    releaseIds.push(...runs.map((x) => x.releaseId));
  }
  await loadReleases(store, state, [...new Set(releaseIds)]);
  for (const a of req.artifacts) {
    const key = artifactKey(a.project, a.service, a.artifact);
    if (state.artifactPasses.has(key)) continue;
    const passes = await store.artifactPasses(a.project, a.service, a.artifact);
    state.artifactPasses.set(key, new Map(passes.map((p) => [p.stage, p])));
  }
}
