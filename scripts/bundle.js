#!/usr/bin/env node
/**
 * Bundles the compiled `slipway` command (an entry file and the chunks it loads as needed),
 * which is what bin/slipway.js runs.
 *
 * Why: loaded module by module, `slipway server` reads 1,137 ES modules before it listens
 * (526 of them Kysely's, 466 Slipway's own) and spends about 1.6 CPU seconds starting, most of
 * them resolving and compiling modules. Bundled, it starts in about 1 CPU second. That is felt in
 * every CLI call, in each replica a load balancer starts, and in every test and bench part that
 * starts a server. docs/benchmarks.md ("Server start") has the figures.
 *
 * Usage: node scripts/bundle.js [compiled dir] [out dir]   (defaults: dist, dist/bundle)
 * The compiled dir is tsc's output (dist; the bench bundles its own, scripts/build-bench.js). The out dir must sit
 * one level below the compiled dir's parent's `dist`, as dist/bundle does: the server finds the
 * dashboard at `../web` from its own file, and the SQLite commit thread at `./commit-worker.js`.
 */
import { build } from 'esbuild';
import { NODE_BUNDLE } from './esbuild-node.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const [from = 'dist', to = join(from, 'bundle')] = process.argv.slice(2);
// The out dir holds this build's files only: chunks are named by their content's hash, so each
// build would otherwise leave the last one's beside its own (dist/bundle had grown to three copies).
const inside = relative(resolve(to), resolve(from));
if (!inside.startsWith('..') && !inside.startsWith('/')) {
  process.stderr.write(`bundle: the out dir ${to} holds the compiled dir ${from}; it is emptied before each build, so choose another\n`);
  process.exit(2);
}
rmSync(resolve(to), { recursive: true, force: true });
const started = performance.now();
const result = await build({
  entryPoints: { slipway: resolve(from, 'cli/main.js'), 'commit-worker': resolve(from, 'store/sqlite/commit-worker.js') },
  outdir: resolve(to),
  ...NODE_BUNDLE,
});
// What went where (esbuild's analyzer reads it; test/build/bundle.test.ts checks the split).
writeFileSync(join(to, 'meta.json'), JSON.stringify(result.metafile));
const files = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const size = files.reduce((n, [, o]) => n + o.bytes, 0);
process.stderr.write(`bundled ${files.length} files into ${to} (${(size / 1e6).toFixed(1)} MB) in ${Math.round(performance.now() - started)} ms\n`);
