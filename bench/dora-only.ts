/** `node dist/bench/bench/dora-only.js [--quick]`: the DORA figure alone, for working on it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoraBench } from './dora-bench.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-dora-'));
runDoraBench(dir, { requests: process.argv.includes('--quick') ? 20 : process.argv.includes('--keep') ? 2 : 100 }, (l) => process.stderr.write(`${l}\n`))
  .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
  .finally(() => (process.argv.includes('--keep') ? process.stderr.write(`kept ${dir}\n`) : rmSync(dir, { recursive: true, force: true })))
  .catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = 1;
  });
