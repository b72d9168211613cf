import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One PostgreSQL cluster for the run (skipped, saying why, where PostgreSQL is not installed).
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
