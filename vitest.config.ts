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
// servers answering, polls with deadlines), not computing: measured, the slow e2e files use about a
// third of a core each (docs in the report of issue 13 item 4), so 2 cores keep about 4 files busy.
// SLIPWAY_TEST_WORKERS overrides it (1: one file at a time, as before).
const workers = Number(process.env['SLIPWAY_TEST_WORKERS'] ?? '') || 4;

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    ...shared,
    // For both projects (one group, so they share the workers); `--maxWorkers N` overrides it.
    maxWorkers: workers,
    projects: [
      { test: { ...shared, name: 'sqlite', include: files.sqlite } },
      {
        test: {
          ...shared,
          name: 'postgres',
          // Without PostgreSQL only the PostgreSQL-only files are left: each says it is skipped and why.
          include: pgThere ? files.postgres : files.postgres.filter((f) => !files.sqlite.includes(f)),
          env: pgThere ? { SLIPWAY_TEST_STORE: 'postgres' } : {},
          globalSetup: ['test/support/postgres-global-setup.ts'],
        },
      },
    ],
  },
});
