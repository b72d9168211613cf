/** An empty CommitBatch for seeding. */
import type { CommitBatch } from '../src/store/index.js';

export function emptyCommit(): CommitBatch {
  return { events: [], releases: [], runs: [], stagePasses: [], artifactPasses: [], live: [], outboxSettle: [], outboxPut: [], timersPut: [], timersDelete: [] };
}
