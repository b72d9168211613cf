import { defineConfig } from 'vitest/config';
import { postgresBinDir } from './test/support/postgres-cluster.js';
import { storeProjects } from './test/support/store-projects.js';

// Two halves (test/support/store-projects.ts says which file runs where):
//  - `sqlite`: every test file, on SQLite;
//  - `postgres`: the files that open a store through the test helpers, again with
//    SLIPWAY_TEST_STORE=postgres, plus the PostgreSQL-only files. Its globalSetup starts one
//    throwaway cluster (test/support/postgres-global-setup.ts), only when one of its files runs.
// `npx vitest run FILE` runs FILE in every project that holds it; `--project sqlite` runs one half.
const files = storeProjects(import.meta.dirname);
const pgThere = (process.env['SLIPWAY_TEST_PG_URL'] ?? '') !== '' || postgresBinDir() !== undefined;

// Files run concurrently. Most of the suite's wall time is spent waiting (child processes starting,
// servers answering, polls with deadlines), not computing: one file at a time, the suite used about
// half a core (22 min wall); the e2e files, measured in groups, about a third of a core per file
// busy. So 2 cores keep about 4 files going. SLIPWAY_TEST_WORKERS overrides it (1: one at a time).
const workers = Number(process.env['SLIPWAY_TEST_WORKERS'] ?? '') || 4;

const shared = {
  // Routes that answer with plain JSON.stringify are checked against their response schemas (src/api/serialize.ts).
  env: { SLIPWAY_STRICT_RESPONSES: '1' },
  // Deployed instances a file leaves running are stopped when it ends.
  setupFiles: ['test/support/leftover-instances.ts'],
  // The longest e2e tests (nine `slipway run` processes one after another, a release through
  // approvals by several people) take 45-50 s with four files running on 2 cores, and 60 s on a
  // busier machine: one failed CI at 60 s. A hang is still caught, after 2 minutes.
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // expect.poll waits for a dispatch, a commit or a real HTTP answer: vitest's 1 s default is
  // too short on a loaded machine. A poll that never holds still fails, naming its assertion.
  expect: { poll: { timeout: 15_000 } },
  pool: 'forks' as const,
};

const alone = (list: string[]) => list.filter((f) => files.alone.includes(f));
const together = (list: string[]) => list.filter((f) => !files.alone.includes(f));
// Without PostgreSQL only the PostgreSQL-only files are left: each says it is skipped and why.
const pgFiles = pgThere ? files.postgres : files.postgres.filter((f) => !files.sqlite.includes(f));
const pg = {
  env: pgThere ? { ...shared.env, SLIPWAY_TEST_STORE: 'postgres' } : shared.env,
  globalSetup: ['test/support/postgres-global-setup.ts'],
};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    ...shared,
    // The second names, last in the output, a file whose worker died (vitest alone names none).
    reporters: ['default', './test/support/unfinished-reporter.ts'],
    // For the concurrent group (its projects share the workers); `--maxWorkers N` overrides it.
    maxWorkers: workers,
    projects: [
      { test: { ...shared, name: 'sqlite', include: together(files.sqlite) } },
      { test: { ...shared, ...pg, name: 'postgres', include: together(pgFiles) } },
      // Last, one file at a time: files whose verdicts depend on the machine's speed (`test-run: alone`).
      { test: { ...shared, name: 'sqlite-alone', include: alone(files.sqlite), maxWorkers: 1, sequence: { groupOrder: 1 } } },
      { test: { ...shared, ...pg, name: 'postgres-alone', include: alone(pgFiles), maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
