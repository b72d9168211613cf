/**
 * The `slipway` command the bench's server processes run (the stress server, the PostgreSQL
 * replicas): the bench's own build of the CLI (dist/bench/bundle, which scripts/build-bench.js
 * bundles from src/ with the options scripts/bundle.js bundles the product with), so the bench
 * starts what users start and `npm run bench` needs no `npm run build`.
 * SLIPWAY_BENCH_CLI names another entry to start instead, e.g. dist/cli/main.js, the product's
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
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run bench\`, or \`node scripts/build-bench.js\``);
  return file;
}
