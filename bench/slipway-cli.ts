/**
 * The `slipway` command the bench's server processes run (the stress server, the PostgreSQL
 * replicas): the bench's own build of the CLI (bench/tsconfig.json compiles src/ into
 * dist/bench/src), bundled as `npm run build` bundles the product
 * (scripts/bundle.js), so the bench starts what users start and `npm run bench` needs no
 * `npm run build`.
 * SLIPWAY_BENCH_CLI names another entry to start instead: dist/bench/src/cli/main.js is the same
 * build unbundled (what the start part's figures were compared with in docs/benchmarks.md).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function benchCli(): string {
  const other = process.env.SLIPWAY_BENCH_CLI;
  if (other) {
    if (!existsSync(other)) throw new Error(`SLIPWAY_BENCH_CLI=${other}: no such file`);
    return other;
  }
  const file = fileURLToPath(new URL('../bundle/slipway.js', import.meta.url));
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run bench\`, or \`node scripts/bundle.js dist/bench/src dist/bench/bundle\` after compiling bench/`);
  return file;
}
