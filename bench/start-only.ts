/** `node dist/bench/bench/start-only.js [--quick] [--samples N]`: the start part alone (see start-bench.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStartBench, startFiguresOf } from './start-bench.js';

const at = process.argv.indexOf('--samples');
const samples = at > 0 ? Number(process.argv[at + 1]) : process.argv.includes('--quick') ? 1 : 5;
if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples wants a whole number ≥ 1, got ${process.argv[at + 1]}`);
const root = mkdtempSync(join(tmpdir(), 'slipway-start-'));
try {
  const r = await runStartBench(root, { samples }, (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${JSON.stringify(startFiguresOf(r))}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
