/** The outcome of a release, per stage it entered: the `--json` shape of `slipway run`. */
import type { Store } from '../store/index.js';

export interface RunSummary {
  release: { id: string; artifacts: Record<string, string> };
  stages: Record<string, { result: 'pass' | 'warning' | 'fail' | 'none'; state: string; run: string; tasks: { name: string; result: string }[] }>;
}

export async function summarize(store: Store, releaseId: string): Promise<RunSummary> {
  const release = await store.getRelease(releaseId);
  const runs = await store.listRuns({ releaseId, limit: 1000 });
  const stages: RunSummary['stages'] = {};
  // In queue order, so a later run of the same stage (a retry, a rerun) replaces the earlier one.
  for (const run of [...runs].sort((a, b) => a.queueSeq - b.queueSeq)) {
    stages[run.stage] = {
      result: run.result ?? 'none',
      state: run.state,
      run: run.id,
      tasks: run.tasks.map((t) => ({ name: t.name, result: t.result ?? 'none' })),
    };
  }
  return { release: { id: releaseId, artifacts: { ...(release?.artifacts ?? {}) } }, stages };
}
