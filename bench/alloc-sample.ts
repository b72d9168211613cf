/**
 * Allocation sampling for profiling (docs/benchmarks.md, "Profiling"): preload it with
 * `node --import ./dist/bench/bench/alloc-sample.js <script>`. Every thread of the process (the
 * main one, the SQLite commit thread, the load generators' workers) samples what it allocates,
 * also what the next scavenge or mark-compact frees, from ALLOC_START_S to ALLOC_STOP_S seconds
 * after it started (default: 0 to 30, or until the script ends), and writes `<ALLOC_DIR or the OS temp dir>/alloc-<thread id>.heapprofile`.
 * `node dist/bench/bench/alloc-top.js FILE` lists where the bytes were allocated.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

const startMs = Number(process.env['ALLOC_START_S'] ?? 0) * 1000;
const stopMs = Number(process.env['ALLOC_STOP_S'] ?? 30) * 1000;
const file = join(process.env['ALLOC_DIR'] ?? tmpdir(), `alloc-${threadId}.heapprofile`);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');

let sampling = false;
const stop = async () => {
  if (!sampling) return;
  sampling = false;
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(file, JSON.stringify(profile));
  process.stderr.write(`[alloc-sample] thread ${threadId}: wrote ${file}\n`);
};
setTimeout(() => {
  void session
    .post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true })
    .then(() => {
      sampling = true;
      process.stderr.write(`[alloc-sample] thread ${threadId}: sampling for ${(stopMs - startMs) / 1000} s\n`);
      setTimeout(() => void stop(), stopMs - startMs).unref();
    });
}, startMs).unref();
// A script that ends before ALLOC_STOP_S still leaves its profile (not one that calls process.exit).
process.once('beforeExit', () => void stop());
