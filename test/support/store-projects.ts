/**
 * Which test files run on which store, for vitest.config.ts. Every file runs on SQLite. A file
 * that opens a store through the test helpers (the e2e server and harness helpers, the API
 * harness, the hook server: they all honour SLIPWAY_TEST_STORE=postgres) runs a second time in
 * the `postgres` project. The list is found from the files' text, so a new test file using the
 * helpers joins the PostgreSQL half by itself. A file that must stay on SQLite says so, with
 * the reason, in a comment: `// test-store: sqlite-only (why)`.
 *
 * Files run concurrently (vitest.config.ts). A file whose verdicts depend on how fast the machine
 * answers (latency thresholds of a load test) says `test-run: alone (why)`: it runs in a last
 * group, one file at a time, on both stores as above.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Files about PostgreSQL itself (the store contract on it, leases, replicas, pg_dump, restarts):
 * they use the PostgreSQL test support directly and run once, in the `postgres` project.
 */
const POSTGRES_ONLY = /from '(?:\.\.\/)+support\/postgres(?:-cluster)?\.js'/;

/** A store opened through a helper that honours SLIPWAY_TEST_STORE. */
const OPENS_STORE = /\b(startServerProcess|slipwayHarness|startHookServer|startHarness|storeOptionFor)\b/;
const SQLITE_ONLY = /test-store:\s*sqlite-only/;
const ALONE = /test-run:\s*alone/;
/** The files that ran one e2e file again on PostgreSQL (againOnPostgres) before the `postgres` project did it for all. */
const RERUN_WRAPPER = /\bagainOnPostgres\(/;

function testFiles(root: string, dir = join(root, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(root, path);
    return e.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

/**
 * The file's text and that of the test-local modules it imports (like e2e/schedule-support.ts),
 * but not the helpers themselves (support/, harness.ts): they name every helper.
 */
function textWithLocalImports(root: string, file: string): string {
  const text = readFileSync(join(root, file), 'utf8');
  const local = [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)]
    .map((m) => relative(root, join(dirname(join(root, file)), `${m[1]!}.ts`)))
    .filter((f) => f.startsWith('test/') && !f.includes('/support/') && !f.endsWith('harness.ts'));
  return [text, ...local.map((f) => readFileSync(join(root, f), 'utf8'))].join('\n');
}

export interface StoreProjects {
  /** Run once, on SQLite (the default store). */
  sqlite: string[];
  /** Run on PostgreSQL: the files that open a store through the helpers, and POSTGRES_ONLY. */
  postgres: string[];
  /** Left out of both (the againOnPostgres wrappers: the `postgres` project runs their files). */
  wrappers: string[];
  /** Of the above, the files to run one at a time after the rest (`test-run: alone`). */
  alone: string[];
}

export function storeProjects(root: string): StoreProjects {
  const out: StoreProjects = { sqlite: [], postgres: [], wrappers: [], alone: [] };
  for (const file of testFiles(root).sort()) {
    const text = textWithLocalImports(root, file);
    if (POSTGRES_ONLY.test(readFileSync(join(root, file), 'utf8'))) {
      out.postgres.push(file);
      if (ALONE.test(text)) out.alone.push(file);
      continue;
    }
    if (RERUN_WRAPPER.test(text)) {
      out.wrappers.push(file);
      continue;
    }
    out.sqlite.push(file);
    if (ALONE.test(readFileSync(join(root, file), 'utf8'))) out.alone.push(file);
    if (OPENS_STORE.test(text) && !SQLITE_ONLY.test(text)) out.postgres.push(file);
  }
  return out;
}
