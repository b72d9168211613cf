#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --json]`: builds the bench (scripts/build-bench.js; nothing
 * when no source changed) and runs it in this process, so the total it reports counts from
 * this process's start, the build included: what `time npm run bench` shows, less npm's own start.
 */
import { buildBench } from './build-bench.js';

process.stderr.write(`${await buildBench()}\n`);
await import('../dist/bench/bench/run.js');
