#!/usr/bin/env node
/**
 * Builds the bench (`npm run bench` runs it first, through scripts/bench.js), two bundles from
 * the TypeScript sources, side by side:
 * - dist/bench/bundle: the `slipway` command, as scripts/bundle.js bundles it for users. The
 *   server processes the bench starts (start, stress, replicas) run it, so they start as users' do.
 * - dist/bench/bench: every bench/*.ts as an entry (run.js, the *-only.js runners, and the
 *   scripts the bench starts as processes or threads, found beside each other), the engine
 *   code they import bundled in, and the SQLite commit thread's commit-worker.js beside them.
 *
 * Why not tsc: it type-checks the whole program before it writes a file (14 s here), and the
 * bench then loaded about 1,000 modules one by one (1.8 s before its first part); bundled from
 * the sources both take about 2.5 s together. Types are still checked, by `npm run typecheck`
 * (bench/ included), which `npm test` and CI run.
 *
 * When no source changed since the last build (the names, sizes and modification times of every
 * file under src/, bench/ and test/support/, these scripts and package-lock.json), it builds nothing.
 */
import { build, stop } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_BUNDLE } from './esbuild-node.js';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'dist/bench');
const STAMP = join(out, 'built-from.txt');
const COMMIT_WORKER = join(root, 'src/store/sqlite/commit-worker.ts');
// The bench's own tools stay in node_modules: playwright-core finds its files beside itself, and
// graphile-worker (the pg part's reference) loads its config through cosmiconfig.
const BENCH_EXTERNAL = ['playwright-core', 'graphile-worker', 'graphile-config'].flatMap((p) => [p, `${p}/*`]);

/** What the build reads, as one hash of each file's path, size and modification time. */
function fingerprint() {
  const files = ['src', 'bench', 'test/support']
    .flatMap((dir) => readdirSync(join(root, dir), { recursive: true }).map((f) => join(dir, String(f))))
    .concat('scripts/build-bench.js', 'scripts/esbuild-node.js', 'package-lock.json')
    .sort();
  const h = createHash('sha256');
  for (const f of files) {
    const s = statSync(join(root, f));
    if (s.isFile()) h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/** Builds dist/bench unless it is up to date; returns a line saying which. */
export async function buildBench() {
  const started = performance.now();
  const print = fingerprint();
  const outputs = [join(out, 'bench/run.js'), join(out, 'bundle/slipway.js')];
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === print && outputs.every((f) => existsSync(f))) {
    return `the bench's build is up to date (no source changed since it was built; checked in ${Math.round(performance.now() - started)} ms)`;
  }
  const benchEntries = Object.fromEntries(
    readdirSync(join(root, 'bench'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => [f.slice(0, -3), join(root, 'bench', f)]),
  );
  // Each out dir holds its own build's files only (chunks are named by content hash);
  // dist/bench/src and dist/bench/test are what the earlier tsc build of the bench left.
  for (const dir of ['bench', 'bundle', 'src', 'test']) rmSync(join(out, dir), { recursive: true, force: true });
  rmSync(STAMP, { force: true });
  try {
    const [cli, bench] = await Promise.all([
      build({ ...NODE_BUNDLE, entryPoints: { slipway: join(root, 'src/cli/main.ts'), 'commit-worker': COMMIT_WORKER }, outdir: join(out, 'bundle') }),
      build({ ...NODE_BUNDLE, external: [...NODE_BUNDLE.external, ...BENCH_EXTERNAL], entryPoints: { ...benchEntries, 'commit-worker': COMMIT_WORKER }, outdir: join(out, 'bench') }),
    ]);
    writeFileSync(STAMP, print);
    const count = (r) => Object.keys(r.metafile.outputs).filter((f) => f.endsWith('.js')).length;
    return `built the bench (${count(bench)} files in dist/bench/bench, the slipway command's ${count(cli)} in dist/bench/bundle) in ${Math.round(performance.now() - started)} ms`;
  } finally {
    // esbuild's service process would otherwise stay beside the bench run.
    await stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stderr.write(`${await buildBench()}\n`);
