/** `node dist/bench/bench/pg-only.js [--quick]`: the PostgreSQL part alone; prints its figures as JSON. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_PLANS, pgFiguresOf, runPgBench } from './pg-bench.js';

const quick = process.argv.includes('--quick');
const root = mkdtempSync(join(tmpdir(), 'slipway-bench-pg-'));
try {
  const outcome = await runPgBench(root, PG_PLANS[quick ? 'quick' : 'full'], (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${JSON.stringify({ ...pgFiguresOf(outcome), outcome }, null, 2)}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
