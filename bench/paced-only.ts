/** `node dist/bench/bench/paced-only.js [--quick]`: the open-loop dispatch figure alone, as JSON. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpenLoop } from './paced.js';

const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-paced-'));
try {
  const r = await runOpenLoop(quick ? { concurrency: 1000, m: 4, taskMs: 1000, measureS: 4 } : { concurrency: 1000, m: 10, taskMs: 1000, measureS: 30 }, dir);
  process.stdout.write(`${JSON.stringify(r)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
